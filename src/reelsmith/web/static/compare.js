// Compare: one play / pause / seek drives every video on the page, kept in step while they play.
"use strict";
(function () {
  const videos = Array.from(document.querySelectorAll("[data-compare-video]"));
  const controls = document.querySelector("[data-compare-controls]");
  if (!videos.length || !controls) return;
  const playBtn = controls.querySelector("[data-compare-play]");
  const seek = controls.querySelector("[data-compare-seek]");
  const clock = controls.querySelector("[data-compare-time]");
  const mute = controls.querySelector("[data-compare-mute]");
  // Videos drift apart by decoding at their own pace; past this much the followers are pulled back.
  const DRIFT_S = 0.15;
  let syncing = false;

  const longest = () => Math.max(0, ...videos.map((v) => (isFinite(v.duration) ? v.duration : 0)));
  const lead = () => videos.reduce((a, b) => ((b.duration || 0) > (a.duration || 0) ? b : a), videos[0]);

  function format(t) {
    const s = Math.max(0, Math.floor(t));
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  // Every video at `t` (a shorter one rests on its last frame once `t` is past its end).
  function seekAll(t) {
    syncing = true;
    videos.forEach((v) => { v.currentTime = Math.min(t, Math.max(0, (v.duration || t) - 0.05)); });
    syncing = false;
  }

  function playAll() {
    const t = lead().currentTime;
    if (t >= longest() - 0.05) seekAll(0);
    syncing = true;
    videos.forEach((v) => {
      if (v.currentTime < (v.duration || 0) - 0.05) {
        const played = v.play();
        if (played && played.catch) played.catch(() => {});
      }
    });
    syncing = false;
  }

  function pauseAll() {
    syncing = true;
    videos.forEach((v) => v.pause());
    syncing = false;
  }

  const playing = () => videos.some((v) => !v.paused && !v.ended);

  function show() {
    const t = lead().currentTime;
    const total = longest();
    seek.value = total ? String(Math.round((t / total) * 1000)) : "0";
    clock.textContent = format(t) + " / " + format(total);
    playBtn.textContent = playing() ? "Pause" : "Play";
    playBtn.setAttribute("aria-label", playing() ? "Pause all" : "Play all");
  }

  playBtn.addEventListener("click", () => (playing() ? pauseAll() : playAll()));
  seek.addEventListener("input", () => seekAll((Number(seek.value) / 1000) * longest()));
  mute.addEventListener("change", () => videos.forEach((v) => { v.muted = mute.checked; }));

  videos.forEach((video) => {
    // A video's own controls (or a click on it) drive the others too.
    video.addEventListener("click", () => (playing() ? pauseAll() : playAll()));
    video.addEventListener("play", () => { if (!syncing) playAll(); show(); });
    video.addEventListener("pause", () => { if (!syncing && !video.ended) pauseAll(); show(); });
    video.addEventListener("seeked", () => { if (!syncing) seekAll(video.currentTime); show(); });
    video.addEventListener("loadedmetadata", show);
    video.addEventListener("timeupdate", () => {
      if (video !== lead()) return;
      videos.forEach((other) => {
        if (other === video || other.paused) return;
        if (Math.abs(other.currentTime - video.currentTime) > DRIFT_S && video.currentTime < other.duration) {
          other.currentTime = video.currentTime;
        }
      });
      show();
    });
  });
  show();
  window.RSCompare = { videos: videos, playAll: playAll, pauseAll: pauseAll, seekAll: seekAll };
})();
