// Generation page: live progress over SSE, scene cards, and the owner's actions.
"use strict";
(function () {
  const root = document.querySelector("[data-generation]");
  if (!root) return;
  const id = root.dataset.generation;
  const VOCAB = RS.vocabulary;
  const FINAL = VOCAB.terminal_statuses;
  const bar = root.querySelector("[data-progress]");
  const barText = root.querySelector("[data-progress-text]");
  const stepText = root.querySelector("[data-step]");
  const etaText = root.querySelector("[data-eta]");

  function sceneState(sceneStatus, genStatus) {
    if (VOCAB.scene_states[sceneStatus]) return VOCAB.scene_states[sceneStatus];
    return VOCAB.active_statuses.includes(genStatus) ? VOCAB.scene_busy : VOCAB.scene_idle;
  }

  function setProgress(value, step) {
    if (bar && typeof value === "number") {
      bar.value = value;
      if (barText) barText.textContent = value + "%";
    }
    if (stepText && step) stepText.textContent = step;
  }

  // Time left: the server's estimate (eta_s, from earlier runs), counted down here between updates.
  let etaLeft = null;
  let etaAt = 0;
  function etaWords(seconds) {
    if (seconds < 90) return "· about " + Math.max(1, Math.round(seconds)) + " s left";
    return "· about " + Math.round(seconds / 60) + " min left";
  }
  function showEta() {
    if (!etaText) return;
    if (etaLeft === null) { etaText.textContent = ""; return; }
    const left = Math.max(0, etaLeft - (Date.now() - etaAt) / 1000);
    etaText.textContent = left > 0 ? etaWords(left) : "";
  }
  function setEta(seconds) {
    if (seconds === undefined) return; // the update said nothing about time
    etaLeft = typeof seconds === "number" ? seconds : null;
    etaAt = Date.now();
    showEta();
  }
  if (etaText && etaText.dataset.etaS) setEta(Number(etaText.dataset.etaS));
  setInterval(showEta, 1000);

  function renderScenes(data) {
    const variant = data.variants && data.variants[0];
    if (!variant) return;
    const counts = { busy: 0, ok: 0, bad: 0, off: 0 };
    variant.scenes.forEach((scene) => {
      const [label, css] = sceneState(scene.status, data.status);
      counts[css] += 1;
      const card = root.querySelector('[data-scene-index="' + scene.index + '"]');
      if (!card) return;
      const state = card.querySelector("[data-scene-status]");
      state.textContent = label;
      state.className = "state state-" + css;
      const error = card.querySelector("[data-scene-error]");
      error.textContent = scene.error_message || "";
      error.hidden = !scene.error_message;
      const empty = card.querySelector(".thumb-empty");
      if (empty && scene.thumbnail_url) {
        const img = document.createElement("img");
        img.className = "thumb";
        img.src = scene.thumbnail_url;
        img.alt = "";
        empty.replaceWith(img);
      }
    });
    const summary = root.querySelector("[data-scene-summary]");
    if (summary) summary.textContent = counts.busy + " generating · " + counts.ok + " ready · " + counts.bad + " failed";
  }

  let pending = 0;
  function refreshSoon() {
    clearTimeout(pending);
    pending = setTimeout(async () => {
      const result = await RS.api("GET", "/api/generations/" + id);
      if (!result.ok) return;
      renderScenes(result.data);
      setProgress(result.data.progress, result.data.current_step);
      setEta(result.data.eta_s);
      if (FINAL.includes(result.data.status)) finish();
    }, 250);
  }

  let source = null;
  let finished = false;
  function finish() {
    if (finished) return;
    finished = true;
    if (source) source.close();
    setTimeout(() => window.location.reload(), 400);
  }

  function follow() {
    source = new EventSource("/api/generations/" + id + "/events");
    const read = (event) => { try { return JSON.parse(event.data); } catch (err) { return {}; } };
    source.addEventListener("progress", (e) => {
      const d = read(e);
      setProgress(d.progress, d.step);
      setEta(d.eta_s);
    });
    source.addEventListener("step", (e) => {
      const d = read(e);
      if (d.status === "running" && d.label) setProgress(undefined, d.label);
    });
    source.addEventListener("scene", refreshSoon);
    // A re-voice or a regeneration runs again after an earlier ending, which the stream replays first:
    // an ending is believed once the generation itself says it has ended (refreshSoon asks).
    source.addEventListener("done", refreshSoon);
    source.addEventListener("failed", refreshSoon);
    source.addEventListener("canceled", refreshSoon);
    source.onerror = refreshSoon; // the server closes the stream when the work ends
  }

  if (VOCAB.active_statuses.includes(root.dataset.status)) follow();

  async function act(method, url, body, message) {
    const result = await RS.api(method, url, body);
    if (!result.ok) {
      RS.toast(result.error, "bad");
      return null;
    }
    if (message) RS.toast(message, "ok");
    return result;
  }

  root.addEventListener("click", async (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const action = target.closest("[data-action]");
    if (action) {
      const name = action.dataset.action;
      if (name === "delete") {
        if (!window.confirm("Delete this for good? Its video, scenes and share links go too.")) return;
        if (await act("DELETE", "/api/generations/" + id)) window.location.href = "/library";
        return;
      }
      if (name === "cancel" && !window.confirm("Cancel this generation? Unrendered scenes are refunded.")) return;
      action.disabled = true;
      if (await act("POST", "/api/generations/" + id + "/" + name)) window.location.reload();
      action.disabled = false;
      return;
    }
    const move = target.closest("[data-move]");
    if (move) {
      await moveScene(move.closest("[data-review-scene]"), Number(move.dataset.move));
      return;
    }
    const remove = target.closest("[data-remove-scene]");
    if (remove) {
      const item = remove.closest("[data-review-scene]");
      if (!window.confirm("Delete this scene from the storyboard?")) return;
      if (await act("DELETE", scenesUrl + "/" + item.dataset.reviewScene)) window.location.reload();
      return;
    }
    const regen = target.closest("[data-regenerate]");
    if (regen) {
      regen.disabled = true;
      if (await act("POST", "/api/scenes/" + regen.dataset.regenerate + "/regenerate", undefined, "Regenerating")) {
        window.location.reload();
      }
      regen.disabled = false;
      return;
    }
    const revoke = target.closest("[data-revoke-share]");
    if (revoke) {
      if (await act("DELETE", "/api/shares/" + revoke.dataset.revokeShare, undefined, "Link turned off")) {
        revoke.closest("li").remove();
      }
      return;
    }
    const like = target.closest("[data-like]");
    if (like) {
      const on = like.getAttribute("aria-pressed") === "true";
      const result = await act(on ? "DELETE" : "POST", "/api/generations/" + id + "/like");
      if (result) {
        like.setAttribute("aria-pressed", String(result.data.liked_by_me));
        like.classList.toggle("on", result.data.liked_by_me);
        like.querySelector("[data-like-count]").textContent = String(result.data.like_count);
      }
    }
  });

  // The storyboard awaiting approval: each scene saves on its own; the price follows the scene count.
  const scenesUrl = "/api/generations/" + id + "/scenes";
  const approvePrice = root.querySelector("[data-approve-price]");
  if (approvePrice) {
    const count = root.querySelectorAll("[data-review-scene]").length;
    approvePrice.textContent = String(count * VOCAB.prices.clip);
  }

  async function moveScene(item, step) {
    const list = item.closest("[data-review-variant]");
    const ids = Array.from(list.querySelectorAll("[data-review-scene]")).map((el) => el.dataset.reviewScene);
    const from = ids.indexOf(item.dataset.reviewScene);
    const to = from + step;
    if (to < 0 || to >= ids.length) return;
    [ids[from], ids[to]] = [ids[to], ids[from]];
    if (await act("POST", scenesUrl + "/order", { ids: ids })) window.location.reload();
  }

  root.querySelectorAll("[data-scene-form]").forEach((sceneForm) => {
    sceneForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { prompt: sceneForm.prompt.value, on_screen_text: sceneForm.on_screen_text.value };
      if (!sceneForm.duration_s.readOnly) body.duration_s = Number(sceneForm.duration_s.value);
      await act("PATCH", scenesUrl + "/" + sceneForm.dataset.sceneForm, body, "Scene saved");
    });
  });

  // A finished narrated scene's line: edited and spoken again (the clip is kept), then followed live.
  root.querySelectorAll("[data-revoice]").forEach((lineForm) => {
    lineForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = lineForm.querySelector("button[type=submit]");
      button.disabled = true;
      const url = "/api/generations/" + id + "/scenes/" + lineForm.dataset.revoice + "/narration";
      if (await act("POST", url, { narration: lineForm.narration.value }, "Re-voicing")) window.location.reload();
      button.disabled = false;
    });
  });

  const addForm = root.querySelector("[data-add-scene]");
  if (addForm) {
    addForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (await act("POST", scenesUrl, { prompt: addForm.prompt.value })) window.location.reload();
    });
  }

  const publishForm = root.querySelector("[data-publish-form]");
  if (publishForm) {
    publishForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const caption = publishForm.caption.value.trim();
      const body = { caption: caption || null };
      // A time picked in the viewer's zone is sent as UTC; a later one schedules the publish.
      if (publishForm.at && publishForm.at.value) body.at = new Date(publishForm.at.value).toISOString();
      if (await act("POST", "/api/generations/" + id + "/publish", body, body.at ? "Scheduled" : "Published")) {
        window.location.reload();
      }
    });
  }

  root.querySelectorAll("[data-scheduled-at] [data-local-time]").forEach((el) => {
    if (el.getAttribute("datetime")) el.textContent = new Date(el.getAttribute("datetime")).toLocaleString();
  });

  const shareForm = root.querySelector("[data-share-form]");
  if (shareForm) {
    shareForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { expires_in: Number(shareForm.expires_in.value) };
      const result = await act("POST", "/api/generations/" + id + "/share", body, "Link created");
      if (!result) return;
      const list = root.querySelector("[data-share-list]");
      const item = document.createElement("li");
      const row = document.createElement("div");
      row.className = "copy-row";
      const field = document.createElement("input");
      field.readOnly = true;
      field.value = result.data.url;
      field.setAttribute("aria-label", "Share link");
      const copyBtn = document.createElement("button");
      copyBtn.type = "button";
      copyBtn.className = "btn btn-sm";
      copyBtn.textContent = "Copy";
      copyBtn.dataset.copy = result.data.url;
      const revokeBtn = document.createElement("button");
      revokeBtn.type = "button";
      revokeBtn.className = "btn btn-sm btn-danger";
      revokeBtn.textContent = "Revoke";
      revokeBtn.dataset.revokeShare = result.data.id;
      row.append(field, copyBtn, revokeBtn);
      const note = document.createElement("p");
      note.className = "muted small";
      note.textContent = "Expires " + new Date(result.data.expires_at).toLocaleString();
      item.append(row, note);
      list.prepend(item);
      field.focus();
      field.select();
    });
  }
})();
