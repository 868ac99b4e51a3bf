"""What the browser tests share: signing in to the admin."""


def sign_in(page, server_url: str, username: str, password: str | None = None, *, next_path=""):
    """Sign in on the admin's login page (the demo's passwords equal the usernames) and
    wait for the page it leads to to load."""
    suffix = f"?next={next_path}" if next_path else ""
    page.goto(f"{server_url}/admin/login/{suffix}")
    page.fill("#id_username", username)
    page.fill("#id_password", password or username)
    with page.expect_navigation():
        page.click("input[type=submit]")
