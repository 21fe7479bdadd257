"""The audio files speech providers return: WAV written from samples or raw PCM, and read back.

Speech stays small (a scene's line is seconds long), so files are handled as bytes in memory.
MP3 (ElevenLabs) is decoded with PyAV, which the project already ships.
"""

from __future__ import annotations

import io
import wave

import numpy as np
import numpy.typing as npt

Samples = npt.NDArray[np.float32]


def wav_from_samples(samples: Samples, rate: int) -> bytes:
    """A mono 16-bit WAV file of float samples in [-1, 1]."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
    return wav_from_pcm16(pcm, rate)


def wav_from_pcm16(pcm: bytes, rate: int, channels: int = 1) -> bytes:
    """A WAV file around raw signed 16-bit little-endian PCM."""
    if len(pcm) % (2 * channels):
        pcm = pcm[: len(pcm) - len(pcm) % (2 * channels)]  # a torn last frame is dropped, not misread
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    return buffer.getvalue()


def read_wav(data: bytes) -> tuple[Samples, int]:
    """Mono float samples and the sample rate of a 16-bit PCM WAV file (channels are averaged)."""
    with wave.open(io.BytesIO(data), "rb") as src:
        if src.getsampwidth() != 2:
            raise ValueError(f"expected 16-bit PCM WAV, got {8 * src.getsampwidth()}-bit")
        channels, rate = src.getnchannels(), src.getframerate()
        raw = np.frombuffer(src.readframes(src.getnframes()), dtype="<i2")
    samples = raw.astype(np.float32) / 32768.0
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return samples.astype(np.float32), rate


def decode_audio(data: bytes, suffix: str) -> tuple[Samples, int]:
    """Mono float samples and the rate of any audio file PyAV can read (WAV read directly)."""
    if suffix == ".wav":
        return read_wav(data)
    import av

    chunks: list[npt.NDArray[np.float32]] = []
    rate = 0
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="flt", layout="mono")
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                rate = out.sample_rate
                chunks.append(out.to_ndarray().reshape(-1).astype(np.float32))
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1).astype(np.float32))
    if not chunks or not rate:
        raise ValueError(f"no audio could be decoded from the {suffix} file")
    return np.concatenate(chunks), rate


def duration_s(samples: Samples, rate: int) -> float:
    """The length of `samples` in seconds."""
    return float(len(samples)) / float(rate) if rate else 0.0
