// Library and drafts: select several and delete; per-card cancel / retry / delete.
"use strict";
(function () {
  const grid = document.querySelector("[data-grid]");
  if (!grid) return;
  const bar = document.querySelector("[data-selectbar]");
  const countText = bar && bar.querySelector("[data-selected-count]");
  const deleteBtn = bar && bar.querySelector("[data-delete-selected]");

  function selected() {
    return Array.from(grid.querySelectorAll("[data-select]:checked")).map((box) => box.value);
  }

  function updateBar() {
    if (!bar) return;
    const n = selected().length;
    countText.textContent = n ? n + " selected" : "Select items to delete several at once";
    deleteBtn.disabled = n === 0;
    deleteBtn.textContent = n ? "Delete " + n : "Delete selected";
    bar.classList.toggle("active", n > 0);
    grid.querySelectorAll(".card").forEach((card) => {
      const box = card.querySelector("[data-select]");
      card.classList.toggle("selected", Boolean(box && box.checked));
    });
  }

  grid.addEventListener("change", updateBar);

  if (deleteBtn) {
    deleteBtn.addEventListener("click", async () => {
      const ids = selected();
      if (!ids.length) return;
      if (!window.confirm("Delete " + ids.length + " item" + (ids.length === 1 ? "" : "s") + " for good?")) return;
      deleteBtn.disabled = true;
      let failed = 0;
      for (const id of ids) {
        const result = await RS.api("DELETE", "/api/generations/" + id);
        if (result.ok || result.status === 404) {
          const card = grid.querySelector('[data-card="' + id + '"]');
          if (card) card.remove();
        } else {
          failed += 1;
        }
      }
      RS.toast(failed ? failed + " could not be deleted" : "Deleted", failed ? "bad" : "ok");
      updateBar();
      if (!grid.children.length) window.location.reload();
    });
  }

  grid.addEventListener("click", async (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const button = target && target.closest("[data-card-action]");
    if (!button) return;
    const action = button.dataset.cardAction;
    const id = button.dataset.id;
    if (action === "delete" && !window.confirm("Delete this for good?")) return;
    button.disabled = true;
    const result = action === "delete"
      ? await RS.api("DELETE", "/api/generations/" + id)
      : await RS.api("POST", "/api/generations/" + id + "/" + action);
    if (!result.ok) {
      button.disabled = false;
      return RS.toast(result.error, "bad");
    }
    window.location.reload();
  });
})();
