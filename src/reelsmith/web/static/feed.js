// Explore and profiles: autoplay muted while at least half visible, sound on tap, likes.
"use strict";
(function () {
  const feed = document.querySelector("[data-feed]");
  if (!feed) return;
  const signedIn = feed.dataset.signedIn === "true";
  const videos = Array.from(feed.querySelectorAll("video[data-autoplay]"));

  function play(video) {
    const started = video.play();
    if (started && started.catch) started.catch(() => {});
  }

  if ("IntersectionObserver" in window) {
    const observer = new IntersectionObserver((entries) => {
      entries.forEach((entry) => {
        const video = entry.target;
        if (entry.isIntersecting && entry.intersectionRatio >= 0.5) {
          video.preload = "auto";
          play(video);
        } else if (!video.paused) {
          video.pause();
        }
      });
    }, { threshold: [0, 0.5, 1] });
    videos.forEach((video) => observer.observe(video));
  }

  function setSound(video, on) {
    video.muted = !on;
    const button = video.parentElement.querySelector("[data-sound]");
    if (button) {
      button.setAttribute("aria-pressed", String(on));
      button.setAttribute("aria-label", on ? "Mute" : "Sound on");
    }
  }

  feed.addEventListener("click", async (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const media = target.closest(".post-media");
    if (media && (target.matches("video") || target.closest("[data-sound]"))) {
      const video = media.querySelector("video");
      if (!video) return;
      const turnOn = video.muted;
      if (turnOn) videos.forEach((other) => { if (other !== video) setSound(other, false); });
      setSound(video, turnOn);
      play(video);
      return;
    }
    const like = target.closest("[data-like]");
    if (!like) return;
    if (!signedIn) {
      window.location.href = "/login?next=" + encodeURIComponent(window.location.pathname);
      return;
    }
    const on = like.getAttribute("aria-pressed") === "true";
    like.disabled = true;
    const result = await RS.api(on ? "DELETE" : "POST", "/api/generations/" + like.dataset.like + "/like");
    like.disabled = false;
    if (!result.ok) return RS.toast(result.error, "bad");
    like.setAttribute("aria-pressed", String(result.data.liked_by_me));
    like.classList.toggle("on", result.data.liked_by_me);
    like.querySelector("[data-like-count]").textContent = String(result.data.like_count);
  });
})();
