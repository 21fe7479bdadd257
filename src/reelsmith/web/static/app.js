// Shared helpers of every page: CSRF-aware API calls, toasts, copy buttons, hover previews, sign-out.
"use strict";
(function () {
  const meta = document.querySelector('meta[name="csrf-token"]');

  function csrf() {
    return meta ? meta.content : "";
  }

  async function api(method, url, body, options) {
    const init = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET" && method !== "HEAD") init.headers["X-CSRF-Token"] = csrf();
    if (body instanceof FormData) {
      init.body = body;
    } else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    Object.assign(init, options || {});
    let response;
    try {
      response = await fetch(url, init);
    } catch (err) {
      return { ok: false, status: 0, data: null, error: "Network error — check your connection." };
    }
    let data = null;
    if ((response.headers.get("content-type") || "").includes("application/json")) {
      data = await response.json().catch(() => null);
    }
    let error = "";
    if (!response.ok) {
      error = (data && typeof data.detail === "string" && data.detail) || "Something went wrong (" + response.status + ").";
      if (response.status === 401) error = "Your session ended — please sign in again.";
    }
    return { ok: response.ok, status: response.status, data: data, error: error };
  }

  let toastTimer = 0;
  function toast(message, kind) {
    const el = document.querySelector("[data-toast]");
    if (!el) return;
    el.textContent = message;
    el.className = "toast" + (kind ? " toast-" + kind : "");
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
  }

  async function copy(text) {
    try {
      await navigator.clipboard.writeText(text);
      toast("Copied to the clipboard", "ok");
    } catch (err) {
      toast("Copy failed — select the text and copy it by hand", "bad");
    }
  }

  function setBalance(value) {
    document.querySelectorAll("[data-balance]").forEach((el) => { el.textContent = String(value); });
  }

  async function refreshBalance() {
    const result = await api("GET", "/api/me");
    if (result.ok && result.data) setBalance(result.data.token_balance);
    return result.ok && result.data ? result.data.token_balance : null;
  }

  function hoverPreview(root) {
    root.querySelectorAll("[data-hover-play]").forEach((video) => {
      const host = video.closest(".card, .scene") || video.parentElement;
      const start = () => {
        if (!video.getAttribute("src") && video.dataset.src) video.src = video.dataset.src;
        video.classList.add("playing");
        const played = video.play();
        if (played && played.catch) played.catch(() => {});
      };
      const stop = () => {
        video.pause();
        video.classList.remove("playing");
      };
      host.addEventListener("mouseenter", start);
      host.addEventListener("mouseleave", stop);
      host.addEventListener("focusin", start);
      host.addEventListener("focusout", stop);
    });
  }

  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const copyBtn = target.closest("[data-copy]");
    if (copyBtn) copy(copyBtn.getAttribute("data-copy"));
    const copyFrom = target.closest("[data-copy-from]");
    if (copyFrom) {
      const source = document.querySelector(copyFrom.getAttribute("data-copy-from"));
      if (source) copy(source.value);
    }
    const logout = target.closest("[data-logout]");
    if (logout) {
      api("POST", "/api/auth/logout").then(() => { window.location.href = "/explore"; });
    }
  });

  document.addEventListener("DOMContentLoaded", () => hoverPreview(document));

  // Modes, statuses, labels and prices, as the server defines them (reelsmith.vocabulary).
  const vocabularyTag = document.getElementById("rs-vocabulary");
  const vocabulary = vocabularyTag ? JSON.parse(vocabularyTag.textContent) : {};

  window.RS = { csrf: csrf, api: api, toast: toast, copy: copy, setBalance: setBalance,
    refreshBalance: refreshBalance, hoverPreview: hoverPreview, vocabulary: vocabulary };
})();
