/* The tablet's action queue (UI rules, "Offline"): every action is written to IndexedDB
   with its own Idempotency-Key before the first attempt, then sent. Replay happens on
   start, on the `online` event, when the page becomes visible and every 20 s — in order,
   until each action gets a success or a definite refusal. Refusals stay listed until the
   operator dismisses them; the queue length and the oldest entry's age are always shown.
   No Background Sync: not every browser has it. */
(function () {
  "use strict";
  var DB = "mes-floor", STORE = "actions", sending = false;
  var texts = JSON.parse(document.getElementById("floor-texts").textContent);

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "id", autoIncrement: true });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode), result;
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        result = work(tx.objectStore(STORE));
      });
    });
  }

  function all() {
    return run("readonly", function (store) {
      var found = [];
      store.openCursor().onsuccess = function (event) {
        var cursor = event.target.result;
        if (cursor) { found.push(cursor.value); cursor.continue(); }
      };
      return found;
    });
  }

  function put(entry) { return run("readwrite", function (store) { store.put(entry); }); }
  function remove(id) { return run("readwrite", function (store) { store.delete(id); }); }

  function show() {
    return all().then(function (entries) {
      var queued = entries.filter(function (e) { return e.state === "queued"; });
      var refused = entries.filter(function (e) { return e.state === "refused"; });
      var badge = document.getElementById("queue");
      if (queued.length) {
        var minutes = Math.floor((Date.now() - queued[0].created) / 60000);
        badge.textContent = texts.queued.replace("%(count)s", queued.length).replace("%(minutes)s", minutes);
        badge.className = "state state-down";
      } else {
        badge.textContent = texts.sent;
        badge.className = "state";
      }
      badge.dataset.count = queued.length;
      var list = document.getElementById("refused");
      list.innerHTML = "";
      refused.forEach(function (entry) {
        var item = document.createElement("div");
        item.className = "message error";
        item.setAttribute("role", "alert");
        item.textContent = "⚠ " + entry.label + ": " + entry.message + " ";
        var dismiss = document.createElement("button");
        dismiss.type = "button";
        dismiss.textContent = texts.dismiss;
        dismiss.addEventListener("click", function () { remove(entry.id).then(show); });
        item.appendChild(dismiss);
        list.appendChild(item);
      });
      return queued.length;
    });
  }

  function send(entry) {
    return fetch(entry.url, {
      method: "POST",
      body: entry.body,
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
        "Idempotency-Key": entry.key,
      },
    });
  }

  function flush() {
    if (sending) { return Promise.resolve(); }
    sending = true;
    var sent = 0;
    return all().then(function (entries) {
      var queued = entries.filter(function (e) { return e.state === "queued"; });
      return queued.reduce(function (chain, entry) {
        return chain.then(function (stop) {
          if (stop) { return true; }
          return send(entry).then(function (response) {
            if (response.ok) { sent += 1; return remove(entry.id).then(function () { return false; }); }
            if (response.status >= 500) { return true; }  // try again later, in order
            return response.json().catch(function () { return {}; }).then(function (body) {
              entry.state = "refused";
              entry.message = body.message || response.statusText;
              return put(entry).then(function () { return body.signed_out === true; });
            });
          }, function () { return true; });  // no network: stop, keep the order
        });
      }, Promise.resolve(false));
    }).then(function () {
      sending = false;
      return show();
    }).then(function (left) {
      if (sent && !left && navigator.onLine) { location.reload(); }
    }, function () { sending = false; });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-queue]")) { return; }
    event.preventDefault();
    if (form.dataset.busy) { return; }  // a double tap
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) { return; }
    form.dataset.busy = "1";
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) { data.append(event.submitter.name, event.submitter.value); }
    var entry = {
      key: crypto.randomUUID(),
      url: form.action,
      body: new URLSearchParams(data).toString(),
      label: form.dataset.queue,
      created: Date.now(),
      state: "queued",
    };
    put(entry).then(show).then(flush).then(function () {
      form.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      delete form.dataset.busy;
      form.reset();
    });
  }, true);

  window.addEventListener("online", flush);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { flush(); }
  });
  setInterval(flush, 20000);
  if (navigator.storage && navigator.storage.persist) { navigator.storage.persist(); }
  if ("serviceWorker" in navigator) { navigator.serviceWorker.register(texts.worker, { scope: texts.scope }); }
  show().then(flush);
})();
