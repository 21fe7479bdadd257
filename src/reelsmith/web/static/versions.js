// Generation page, finished videos: edit the cut into a new version, list the versions, restore one;
// and, for ad clones, pick which variants go into a comparison.
"use strict";
(function () {
  const root = document.querySelector("[data-generation]");
  if (!root) return;
  const id = root.dataset.generation;

  // Variant cards: the "Compare side by side" link carries the ticked variants (two or more).
  const compareLink = root.querySelector("[data-compare-variants]");
  if (compareLink) {
    root.addEventListener("change", (event) => {
      const target = event.target instanceof Element ? event.target : null;
      if (!target || !target.matches("[data-compare-pick]")) return;
      const picked = Array.from(root.querySelectorAll("[data-compare-pick]:checked")).map((b) => b.value);
      compareLink.href = "/compare?ids=" + picked.map(encodeURIComponent).join(",");
      compareLink.setAttribute("aria-disabled", picked.length >= 2 ? "false" : "true");
    });
    compareLink.addEventListener("click", (event) => {
      if (compareLink.getAttribute("aria-disabled") === "true") {
        event.preventDefault();
        RS.toast("Tick two or more variants to compare", "bad");
      }
    });
  }

  const editor = root.querySelector("[data-editor]");
  const list = root.querySelector("[data-version-list]");
  if (!editor || !list) return;
  const rows = editor.querySelector("[data-edit-scenes]");
  const transition = editor.querySelector("[data-edit-transition]");
  const transitionS = editor.querySelector("[data-edit-transition-s]");
  const soundtrack = editor.querySelector("[data-edit-soundtrack]");
  const saveBtn = editor.querySelector("[data-edit-save]");
  const status = editor.querySelector("[data-edit-status]");
  const priceText = editor.querySelector("[data-version-price]");
  const PER_CLIP = RS.vocabulary.prices.version_clip;
  const POLL_MS = 1000;
  let current = null;

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => node.setAttribute(k, v));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function field(label, attrs, wide) {
    const wrap = el("label", wide ? { class: "wide" } : {});
    wrap.append(label, el("input", attrs));
    return wrap;
  }

  function sceneRow(scene, n) {
    const li = el("li", { class: "edit-scene", "data-edit-scene": scene.scene_id });
    const clip = el("video", { muted: "", playsinline: "", preload: "metadata" });
    if (scene.clip_url) clip.src = scene.clip_url + "#t=" + scene.start_s;
    const body = el("div");
    const head = el("p", { class: "row" });
    head.append(el("strong", { "data-scene-label": "" }, "Scene " + (n + 1)));
    head.append(el("span", { class: "muted small clamp2" }, scene.description));
    // The spoken line moves and is kept with its scene; trimmed shorter, it runs on into the next one.
    const line = scene.narration ? el("p", { class: "scene-line", "data-edit-line": "" }, "“" + scene.narration + "”") : null;
    const fields = el("div", { class: "edit-fields" });
    const max = String(scene.clip_s);
    fields.append(
      field("Start (s)", { type: "number", min: "0", max: max, step: "0.1", value: String(scene.start_s), "data-field": "start_s" }),
      field("Seconds", { type: "number", min: "0.5", max: max, step: "0.1", value: String(scene.duration_s), "data-field": "duration_s" }),
      field("On-screen text", { maxlength: "200", value: scene.on_screen_text, placeholder: "Text drawn over the scene", "data-field": "on_screen_text" }, true),
      field("Replace the clip with a video of yours", { type: "file", accept: "video/*", "data-field": "clip" }, true),
    );
    const actions = el("p", { class: "row" });
    actions.append(
      el("button", { class: "btn btn-sm", type: "button", "data-move": "-1", "aria-label": "Move up" }, "↑ Up"),
      el("button", { class: "btn btn-sm", type: "button", "data-move": "1", "aria-label": "Move down" }, "↓ Down"),
      el("button", { class: "btn btn-sm btn-danger", type: "button", "data-remove": "" }, "Remove"),
    );
    body.append(...[head, line, fields, actions].filter(Boolean));
    li.append(clip, body);
    li._scene = scene;
    return li;
  }

  function relabel() {
    let n = 0;
    rows.querySelectorAll("[data-edit-scene]").forEach((li) => {
      const label = li.querySelector("[data-scene-label]");
      label.textContent = li.classList.contains("removed") ? "Removed" : "Scene " + (++n);
    });
    if (priceText) priceText.textContent = String(n * PER_CLIP);
  }

  function renderEditor(version) {
    rows.replaceChildren(...version.cut.scenes.map(sceneRow));
    transition.replaceChildren(...RS.vocabulary.transitions.map((t) => el("option", { value: t }, t)));
    transition.value = version.cut.transition;
    transitionS.value = String(version.cut.transition_s);
    soundtrack.value = "";
    relabel();
  }

  function renderList(items) {
    list.replaceChildren(...items.map((v) => {
      const li = el("li", { "data-version": String(v.number), class: v.current ? "current" : "" });
      const text = el("div");
      text.append(el("strong", {}, "Version " + v.number), " ", el("span", { class: "muted small" }, v.change));
      const side = el("span", { class: "row" });
      if (v.status === "rendering") side.append(el("span", { class: "chip chip-processing" }, "Making…"));
      if (v.status === "failed") side.append(el("span", { class: "chip chip-failed", title: v.error_message || "" }, "Failed"));
      if (v.current) side.append(el("span", { class: "chip chip-completed", "data-current": "" }, "Playing"));
      if (v.status === "completed" && !v.current) {
        side.append(el("button", { class: "btn btn-sm", type: "button", "data-restore": v.id }, "Restore"));
      }
      li.append(text, side);
      return li;
    }));
  }

  async function load() {
    const result = await RS.api("GET", "/api/generations/" + id + "/versions");
    if (!result.ok) return RS.toast(result.error, "bad");
    const items = result.data.items;
    const playing = items.find((v) => v.current);
    const making = items.find((v) => v.status === "rendering");
    renderList(items);
    if (!current || (playing && playing.id !== current.id)) {
      current = playing || items[0] || null;
      if (current) renderEditor(current);
    }
    saveBtn.disabled = Boolean(making);
    if (making) {
      status.textContent = "Making version " + making.number + "…";
      setTimeout(watch(making.number), POLL_MS);
    }
    return items;
  }

  // Follow a version being made; once it has ended the page reloads, so the player shows what plays.
  function watch(number) {
    return async function check() {
      const result = await RS.api("GET", "/api/generations/" + id + "/versions");
      const found = result.ok ? result.data.items.find((v) => v.number === number) : null;
      if (found && found.status === "rendering") return setTimeout(check, POLL_MS);
      if (found && found.status === "failed") {
        status.textContent = "";
        RS.toast("Version " + number + " failed: " + (found.error_message || "unknown reason"), "bad");
        return load();
      }
      window.location.reload();
    };
  }

  async function upload(file) {
    const form = new FormData();
    form.append("file", file);
    const result = await RS.api("POST", "/api/uploads", form);
    if (!result.ok) throw new Error(result.error);
    return result.data.id;
  }

  async function changes() {
    const body = { scenes: [], remove: [], order: [] };
    const items = Array.from(rows.querySelectorAll("[data-edit-scene]"));
    for (const li of items) {
      const scene = li._scene;
      if (li.classList.contains("removed")) {
        body.remove.push(scene.scene_id);
        continue;
      }
      body.order.push(scene.scene_id);
      const get = (name) => li.querySelector('[data-field="' + name + '"]');
      const change = { scene_id: scene.scene_id };
      const start = Number(get("start_s").value);
      const length = Number(get("duration_s").value);
      const text = get("on_screen_text").value.trim();
      if (start !== scene.start_s) change.start_s = start;
      if (length !== scene.duration_s) change.duration_s = length;
      if (text !== scene.on_screen_text) change.on_screen_text = text;
      const file = get("clip").files[0];
      if (file) change.clip_asset_id = await upload(file);
      if (Object.keys(change).length > 1) body.scenes.push(change);
    }
    body.order = body.order.concat(body.remove);  // the order lists every scene; removal drops some
    if (transition.value !== current.cut.transition) body.transition = transition.value;
    if (Number(transitionS.value) !== current.cut.transition_s) body.transition_s = Number(transitionS.value);
    if (soundtrack.files[0]) body.soundtrack_asset_id = await upload(soundtrack.files[0]);
    return body;
  }

  rows.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const li = target && target.closest("[data-edit-scene]");
    if (!li) return;
    const move = target.closest("[data-move]");
    if (move) {
      const sibling = move.dataset.move === "-1" ? li.previousElementSibling : li.nextElementSibling;
      if (sibling) move.dataset.move === "-1" ? sibling.before(li) : sibling.after(li);
    }
    const remove = target.closest("[data-remove]");
    if (remove) {
      li.classList.toggle("removed");
      remove.textContent = li.classList.contains("removed") ? "Keep" : "Remove";
    }
    relabel();
  });

  saveBtn.addEventListener("click", async () => {
    if (!current) return;
    saveBtn.disabled = true;
    status.textContent = "Saving…";
    let body;
    try {
      body = await changes();
    } catch (err) {
      saveBtn.disabled = false;
      status.textContent = "";
      return RS.toast(String(err.message || err), "bad");
    }
    const result = await RS.api("POST", "/api/generations/" + id + "/versions", body);
    if (!result.ok) {
      saveBtn.disabled = false;
      status.textContent = "";
      return RS.toast(result.error, "bad");
    }
    RS.refreshBalance();
    status.textContent = "Making version " + result.data.number + "…";
    setTimeout(watch(result.data.number), POLL_MS);
  });

  list.addEventListener("click", async (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const button = target && target.closest("[data-restore]");
    if (!button) return;
    button.disabled = true;
    const result = await RS.api("POST", "/api/generations/" + id + "/versions/" + button.dataset.restore + "/restore");
    if (!result.ok) {
      button.disabled = false;
      return RS.toast(result.error, "bad");
    }
    window.location.reload();
  });

  load();
})();
