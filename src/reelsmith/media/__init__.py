"""Media work for Reelsmith: probing, thumbnails, stitching and the offline local renderer.

Every pixel goes through ffmpeg (the static binary shipped by ``imageio-ffmpeg``) or PyAV; submodules are
imported on demand so that importing this package stays cheap.
"""
