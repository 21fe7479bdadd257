"""Media work for Reelsmith: probing, stitching, song and video analysis, and the offline local renderer.

Every pixel goes through ffmpeg (the static binary shipped by ``imageio-ffmpeg``) or PyAV. The doors, by job:

- ``media.stitch``: ``stitch`` joins clips into one MP4, copying streams wherever the clips allow.
- ``media.render``: ``render_clip`` and ``render_still``, the local renderer.
- ``media.captions``: word-timed cues, ``.srt``/``.vtt`` text and ``burn_captions`` (re-encoding only what
  the captions cover); ``media.narration``: ``mix_narration`` lays spoken lines over a video, ducking
  its sound.
- ``media.analysis``: ``analyze_audio`` and ``plan_cuts`` (a song's tempo and beats, scene cuts on them),
  ``analyze_video`` (a video's shots, palette and motion).
- The core, in this folder, used by every job: ``probe.probe``, ``thumbnail.make_thumbnail``,
  ``preview.make_preview``, ``loudness.loudness`` and ``loudness.normalise_loudness``, ``ffmpeg.run_ffmpeg``
  and the shared encoder settings in ``encode``. ``filters`` (filtergraph escaping), ``quality`` (PSNR),
  and ``mp4`` with ``h264`` (the MP4 index reader behind ``probe``, no libav needed) serve the rest.

Nothing is imported here, and each subpackage imports only what its doors need, so ``reelsmith stitch``
starts without loading PyAV, numpy or Pillow.
"""
