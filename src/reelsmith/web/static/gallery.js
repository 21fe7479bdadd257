// Library and drafts: select several and delete, publish, schedule or compare; per-card cancel / retry /
// delete; scheduled publishes cancelled.
"use strict";
(function () {
  const grid = document.querySelector("[data-grid]");
  if (!grid) return;
  const bar = document.querySelector("[data-selectbar]");
  const countText = bar && bar.querySelector("[data-selected-count]");
  const deleteBtn = bar && bar.querySelector("[data-delete-selected]");
  const compareLink = bar && bar.querySelector("[data-compare-selected]");
  if (countText) countText.dataset.idle = countText.textContent;

  function selected() {
    return Array.from(grid.querySelectorAll("[data-select]:checked")).map((box) => box.value);
  }

  function updateBar() {
    if (!bar) return;
    const n = selected().length;
    countText.textContent = n ? n + " selected" : countText.dataset.idle || (countText.dataset.idle = countText.textContent);
    if (deleteBtn) {
      deleteBtn.disabled = n === 0;
      deleteBtn.textContent = n ? "Delete " + n : "Delete selected";
    }
    bar.querySelectorAll("[data-batch]").forEach((btn) => { btn.disabled = n === 0; });
    if (compareLink) {
      // Two or more side by side; the link carries the selection in the library's order.
      const ready = n >= 2;
      compareLink.setAttribute("aria-disabled", ready ? "false" : "true");
      compareLink.href = ready ? "/compare?ids=" + selected().map(encodeURIComponent).join(",") : "/compare";
    }
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

  if (compareLink) {
    compareLink.addEventListener("click", (event) => {
      if (compareLink.getAttribute("aria-disabled") === "true") {
        event.preventDefault();
        RS.toast("Select two or more to compare", "bad");
      }
    });
  }

  // Drafts: publish, schedule or delete the selected ones in one request (a result per item).
  if (bar) {
    bar.addEventListener("click", async (event) => {
      const target = event.target instanceof Element ? event.target : null;
      const button = target && target.closest("[data-batch]");
      if (!button) return;
      const ids = selected();
      if (!ids.length) return;
      const action = button.dataset.batch;
      const body = { action: action === "schedule" ? "publish" : action, ids: ids };
      if (action === "schedule") {
        const when = bar.querySelector("[data-batch-at]");
        if (!when || !when.value) return RS.toast("Pick a date and time to publish at", "bad");
        body.at = new Date(when.value).toISOString();
      }
      if (action === "delete" && !window.confirm("Delete " + ids.length + " for good?")) return;
      button.disabled = true;
      const result = await RS.api("POST", "/api/generations/batch", body);
      if (!result.ok) {
        button.disabled = false;
        return RS.toast(result.error, "bad");
      }
      const failed = result.data.results.filter((r) => !r.ok);
      const first = failed.length ? ": " + failed[0].detail : "";
      RS.toast(result.data.succeeded + " done" + (failed.length ? ", " + failed.length + " not" + first : ""),
        failed.length ? "bad" : "ok");
      window.setTimeout(() => window.location.reload(), failed.length ? 1500 : 300);
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

// Drafts: scheduled publishes, shown in local time, each cancellable.
(function () {
  const scheduled = document.querySelector("[data-scheduled]");
  if (scheduled) {
    scheduled.querySelectorAll("[data-local-time]").forEach((el) => {
      el.textContent = new Date(el.getAttribute("datetime")).toLocaleString();
    });
    scheduled.addEventListener("click", async (event) => {
      const target = event.target instanceof Element ? event.target : null;
      const button = target && target.closest("[data-card-action=unpublish]");
      if (!button) return;
      button.disabled = true;
      const result = await RS.api("POST", "/api/generations/" + button.dataset.id + "/unpublish");
      if (!result.ok) {
        button.disabled = false;
        return RS.toast(result.error, "bad");
      }
      window.location.reload();
    });
  }
})();
