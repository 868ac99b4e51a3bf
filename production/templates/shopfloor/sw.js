/* The tablet's service worker: keeps the app shell and the pages last seen, so the
   tablet still opens them without the network; actions wait in the page's IndexedDB
   queue (queue.js), never here. */
"use strict";
var CACHE = "mes-floor-{{ version }}";
var SHELL = {{ shell|safe }};

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); }));
  self.skipWaiting();
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== CACHE; }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }  // actions go through the page's queue
  if (SHELL.indexOf(new URL(request.url).pathname) !== -1) {
    event.respondWith(caches.match(request).then(function (hit) { return hit || fetch(request); }));
    return;
  }
  // Pages: the network first, the copy last seen when there is none.
  event.respondWith(fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(request, copy); });
    }
    return response;
  }, function () {
    return caches.match(request).then(function (hit) { return hit || caches.match("{{ offline_url }}"); });
  }));
});
