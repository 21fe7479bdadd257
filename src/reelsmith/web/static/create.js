// Create page: live price, references (upload or generate-and-pick), submit, "generating" panel.
"use strict";
(function () {
  const form = document.querySelector("[data-create-form]");
  if (!form) return;
  const panel = document.querySelector("[data-generating]");
  const errorBox = form.querySelector("[data-error]");
  const submit = form.querySelector("[data-submit]");
  const tray = form.querySelector("[data-ref-tray]");
  const candidates = form.querySelector("[data-candidates]");
  const MAX_REFS = 4;
  let refs = []; // {id, url, fromCandidates}
  let song = null; // {id, scenes} once a song is uploaded
  let source = null; // {id, seconds} once a source ad is uploaded
  let balance = Number((document.querySelector("[data-balance]") || {}).textContent || 0);

  function mode() {
    const checked = form.querySelector("input[name=mode]:checked");
    return checked ? checked.value : "story";
  }

  // Names, prices and limits come from the vocabulary the server puts in the page (RS.vocabulary).
  const VOCAB = RS.vocabulary;

  function sceneCount() {
    return Math.max(1, Math.min(VOCAB.max_scenes, Number(form.scenes.value) || 1));
  }

  // Whether the storyboard is to be reviewed first (the switch is shown only for modes that have one).
  function reviewing() {
    const box = form.querySelector("[data-review]");
    return Boolean(box && box.checked && !box.closest("[data-when]").hidden);
  }

  function price() {
    const checked = form.querySelector("input[name=mode]:checked");
    if (!checked) return 0;
    if (reviewing()) return VOCAB.prices.storyboard; // the clips are charged on approval
    const per = checked.dataset.per;
    const tokens = Number(checked.dataset.price);
    if (per === "variant") return tokens * chosenVariants().length;
    if (per !== "scene") return tokens;
    // A music video's song decides its scene count.
    return tokens * (checked.value === "music_video" ? (song ? song.scenes : 1) : sceneCount());
  }

  function chosenVariants() {
    return Array.from(form.querySelectorAll("input[name=variants]:checked")).map((box) => box.value);
  }

  // Whether the scenes are to speak (the switch is shown only for modes that can be narrated).
  function narrating() {
    const box = form.querySelector("[data-narration]");
    return Boolean(box && box.checked && !box.closest("[data-when]").hidden);
  }

  function update() {
    const current = mode();
    form.querySelectorAll("[data-when]").forEach((el) => {
      el.hidden = !el.dataset.when.split(" ").includes(current);
    });
    form.querySelector("[data-narration-options]").hidden = !narrating();
    const cost = price();
    form.querySelector("[data-price-total]").textContent = String(cost);
    const after = form.querySelector("[data-after]");
    const short = cost > balance;
    after.textContent = short ? "· not enough tokens" : "· " + (balance - cost) + " left after";
    after.classList.toggle("warn", short);
    submit.disabled = short;
    if (current === "music_video" && !song) submit.disabled = true;
    if (current === "ad_clone" && (!source || chosenVariants().length === 0)) submit.disabled = true;
    const chosen = VOCAB.modes.find((m) => m.value === current);
    const label = chosen ? "Generate " + chosen.label.toLowerCase() : "";
    submit.textContent = label || "Generate";
    const refCost = Number(document.getElementById("ref-count").value) * VOCAB.prices.image;
    form.querySelector("[data-ref-price]").textContent = "(" + refCost + " token" + (refCost === 1 ? "" : "s") + ")";
  }

  function fail(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  function renderTray() {
    tray.replaceChildren();
    refs.forEach((ref, n) => {
      const item = document.createElement("figure");
      item.className = "ref";
      const img = document.createElement("img");
      img.src = ref.url;
      img.alt = "Reference " + (n + 1);
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "ref-remove";
      remove.textContent = "×";
      remove.setAttribute("aria-label", "Remove reference " + (n + 1));
      remove.addEventListener("click", () => {
        refs = refs.filter((r) => r !== ref);
        candidates.querySelectorAll("[aria-pressed=true]").forEach((b) => {
          if (b.dataset.id === ref.id) b.setAttribute("aria-pressed", "false");
        });
        renderTray();
      });
      item.append(img, remove);
      tray.append(item);
    });
    form.querySelector("[data-ref-upload]").disabled = refs.length >= MAX_REFS;
  }

  form.querySelector("[data-ref-upload]").addEventListener("change", async (event) => {
    const input = event.target;
    const file = input.files && input.files[0];
    if (!file) return;
    if (refs.length >= MAX_REFS) return RS.toast("Up to 4 references", "bad");
    const data = new FormData();
    data.append("file", file);
    RS.toast("Uploading…");
    const result = await RS.api("POST", "/api/uploads", data);
    input.value = "";
    if (!result.ok) return RS.toast(result.error, "bad");
    if (!result.data.content_type.startsWith("image/")) return RS.toast("That file is not an image", "bad");
    refs.push({ id: result.data.id, url: URL.createObjectURL(file), fromCandidates: false });
    renderTray();
    RS.toast("Reference added", "ok");
  });

  // Same rule as the server: about one scene per 5 s of song, each 2 to 12 s, at most 20.
  function scenesForSong(seconds) {
    const wanted = Math.round(seconds / 5);
    return Math.max(1, Math.ceil(seconds / 12), Math.min(wanted, Math.floor(seconds / 2), 20));
  }

  // Upload the file chosen in `input` and check it is `kind` ("audio", "video"); the upload's data or null.
  async function uploadTimed(input, info, kind) {
    const file = input.files && input.files[0];
    if (!file) return null;
    const data = new FormData();
    data.append("file", file);
    info.textContent = "Uploading…";
    const result = await RS.api("POST", "/api/uploads", data);
    if (!result.ok || !result.data.content_type.startsWith(kind + "/")) {
      input.value = "";
      info.textContent = result.ok ? "That file is not " + (kind === "audio" ? "audio." : "a video.") : result.error;
      return null;
    }
    return result.data;
  }

  form.querySelector("[data-song-upload]").addEventListener("change", async (event) => {
    const info = form.querySelector("[data-song-info]");
    song = null;
    update();
    const upload = await uploadTimed(event.target, info, "audio");
    if (!upload) return;
    const seconds = upload.duration_s;
    song = { id: upload.id, scenes: scenesForSong(seconds) };
    info.textContent = Math.round(seconds) + " s · " + song.scenes + " scene" + (song.scenes === 1 ? "" : "s");
    update();
  });

  // Same limits as the server: a source ad of 3 s to 3 min.
  form.querySelector("[data-source-upload]").addEventListener("change", async (event) => {
    const info = form.querySelector("[data-source-info]");
    source = null;
    update();
    const upload = await uploadTimed(event.target, info, "video");
    if (!upload) return;
    const seconds = upload.duration_s || 0;
    if (seconds < 3 || seconds > 180) {
      event.target.value = "";
      info.textContent = "The source ad is " + Math.round(seconds) + " s; it must be 3 s to 3 min.";
      return;
    }
    source = { id: upload.id, seconds: seconds };
    info.textContent = Math.round(seconds) + " s source ad · its shots set the pacing";
    update();
  });

  form.querySelector("[data-gen-refs]").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    const description = document.getElementById("ref-desc").value.trim();
    if (!description) return RS.toast("Describe the character first", "bad");
    const count = Number(document.getElementById("ref-count").value);
    button.disabled = true;
    candidates.replaceChildren();
    candidates.setAttribute("aria-busy", "true");
    for (let n = 0; n < count; n++) {
      const slot = document.createElement("div");
      slot.className = "cand cand-loading";
      candidates.append(slot);
    }
    const result = await RS.api("POST", "/api/references", { description: description, num_images: count });
    button.disabled = false;
    candidates.removeAttribute("aria-busy");
    candidates.replaceChildren();
    if (!result.ok) return RS.toast(result.error, "bad");
    RS.refreshBalance().then((value) => { if (value !== null) { balance = value; update(); } });
    result.data.images.forEach((image, n) => {
      const pick = document.createElement("button");
      pick.type = "button";
      pick.className = "cand";
      pick.dataset.id = image.id;
      pick.setAttribute("aria-pressed", "false");
      pick.setAttribute("aria-label", "Use candidate " + (n + 1));
      const img = document.createElement("img");
      img.src = image.url;
      img.alt = "";
      pick.append(img);
      pick.addEventListener("click", () => {
        refs = refs.filter((r) => !r.fromCandidates);
        candidates.querySelectorAll(".cand").forEach((b) => b.setAttribute("aria-pressed", "false"));
        if (refs.length >= MAX_REFS) return RS.toast("Up to 4 references", "bad");
        pick.setAttribute("aria-pressed", "true");
        refs.push({ id: image.id, url: image.url, fromCandidates: true });
        renderTray();
      });
      candidates.append(pick);
    });
  });

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  document.getElementById("ref-count").addEventListener("change", update);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    fail("");
    const prompt = form.prompt.value.trim();
    if (!prompt) {
      fail("Write a prompt first.");
      form.prompt.focus();
      return;
    }
    const current = mode();
    const body = {
      mode: current,
      prompt: prompt,
      title: form.title.value.trim(),
      aspect_ratio: form.querySelector("input[name=aspect_ratio]:checked").value,
      providers: {},
    };
    if (current === "story") body.scenes = sceneCount();
    if (reviewing()) body.review = true;
    if (VOCAB.narrated_modes.includes(current)) {
      body.narration = narrating();
      if (body.narration) {
        body.voice = form.voice.value;
        body.captions = form.captions.value;
        body.caption_style = form.caption_style.value;
      }
    }
    if (current === "music_video") {
      if (!song) return fail("Upload a song first.");
      body.song_asset_id = song.id;
    }
    if (current === "ad_clone") {
      if (!source) return fail("Upload the source ad first.");
      body.source_asset_id = source.id;
      body.variants = chosenVariants();
    }
    if (current === "image") {
      body.providers.image = form.image_provider.value;
    } else {
      body.providers.video = form.video_provider.value;
      body.reference_asset_ids = refs.map((r) => r.id);
    }
    submit.disabled = true;
    submit.textContent = "Starting…";
    const result = await RS.api("POST", "/api/generations", body);
    if (!result.ok) {
      update();
      return fail(result.error);
    }
    panel.querySelector("[data-watch]").href = "/g/" + result.data.id;
    panel.querySelector("[data-gen-kind]").textContent = current.replace("_", " ");
    form.hidden = true;
    panel.hidden = false;
    panel.focus();
    const value = await RS.refreshBalance();
    if (value !== null) balance = value;
  });

  panel.querySelector("[data-again]").addEventListener("click", () => {
    form.reset();
    refs = [];
    song = null;
    source = null;
    renderTray();
    candidates.replaceChildren();
    panel.hidden = true;
    form.hidden = false;
    update();
    form.prompt.focus();
  });

  // The voice picker: the first configured speech provider's voices, each with a sample to play.
  const voiceSelect = form.querySelector("[data-voice]");
  const voiceAudio = form.querySelector("[data-voice-audio]");
  const voiceInfo = form.querySelector("[data-voice-info]");
  async function loadVoices() {
    const result = await RS.api("GET", "/api/voices");
    if (!result.ok || !result.data.length) return;
    const first = result.data[0];
    if (first.error) {
      voiceInfo.textContent = first.provider + ": " + first.error;
      return;
    }
    first.voices.forEach((v) => {
      const option = document.createElement("option");
      option.value = v.name;
      option.textContent = v.name + " (" + v.language + ")" + (v.description ? " — " + v.description : "");
      voiceSelect.append(option);
    });
    voiceInfo.textContent = "Voices of " + first.provider + ".";
  }
  form.querySelector("[data-voice-sample]").addEventListener("click", async () => {
    voiceAudio.src = "/api/voices/sample?voice=" + encodeURIComponent(voiceSelect.value);
    try {
      await voiceAudio.play();
    } catch (error) {
      RS.toast("The sample could not be played.", "bad");
    }
  });
  loadVoices();

  update();
})();
