// Sign-in and sign-up forms: JSON to the API, which sets the session cookie; then go on.
"use strict";
(function () {
  const form = document.querySelector("[data-auth]");
  if (!form) return;
  const errorBox = form.querySelector("[data-error]");

  // The server already vets `next`; checking again here keeps the page from ever leaving the site.
  function sameOrigin(next) {
    if (!next || !next.startsWith("/")) return null;
    try {
      const url = new URL(next, window.location.origin);
      return url.origin === window.location.origin ? url.pathname + url.search + url.hash : null;
    } catch (_) {
      return null;
    }
  }

  function fail(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errorBox.hidden = true;
    const username = form.username.value.trim();
    const password = form.password.value;
    if (!username || !password) return fail("Enter your username and password.");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      if (form.dataset.auth === "signup") {
        if (password.length < 8) return fail("The password needs at least 8 characters.");
        const body = { username: username, password: password };
        if (form.email && form.email.value.trim()) body.email = form.email.value.trim();
        // The page shows the field only when this server signs up by invitation.
        if (form.invite_code) {
          const code = form.invite_code.value.trim();
          if (!code) return fail("Enter your invite code.");
          body.invite_code = code;
        }
        const made = await RS.api("POST", "/api/auth/signup", body);
        if (!made.ok) return fail(made.error);
      }
      const login = await RS.api("POST", "/api/auth/login", { username: username, password: password });
      if (!login.ok) return fail(login.status === 401 ? "Wrong username or password." : login.error);
      window.location.href = sameOrigin(form.dataset.next) || "/create";
    } finally {
      button.disabled = false;
    }
  });
})();
