// Settings: create an API key (shown once) and revoke keys.
"use strict";
(function () {
  const form = document.querySelector("[data-new-key]");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const result = await RS.api("POST", "/api/me/api-keys", { name: form.name.value.trim() });
      if (!result.ok) return RS.toast(result.error, "bad");
      const box = document.querySelector("[data-new-key-result]");
      const field = box.querySelector("[data-new-key-value]");
      field.value = result.data.key;
      box.hidden = false;
      field.focus();
      field.select();
      form.reset();
    });
  }
  document.querySelectorAll("[data-revoke-key]").forEach((button) => {
    button.addEventListener("click", async () => {
      if (!window.confirm("Revoke this key? Scripts using it stop working.")) return;
      const result = await RS.api("DELETE", "/api/me/api-keys/" + button.dataset.revokeKey);
      if (!result.ok) return RS.toast(result.error, "bad");
      const item = button.closest("li");
      item.classList.add("revoked");
      const chip = document.createElement("span");
      chip.className = "chip chip-failed";
      chip.textContent = "Revoked";
      button.replaceWith(chip);
      RS.toast("Key revoked", "ok");
    });
  });
})();
