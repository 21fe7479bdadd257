"""Read an H.264 sequence parameter set far enough to know the picture size, pixel format and pixel shape.

The MP4 index reader uses it to report what libav's decoder would report, without opening libav. Anything
unusual (interlaced coding, RGB 4:4:4, bit depths other than 8 and 10) gives None: the caller then asks
libav instead.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

# Profiles whose SPS carries chroma format, bit depth and scaling matrices (H.264 7.3.2.1.1).
_HIGH_PROFILES = frozenset({100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135})
_EXTENDED_SAR = 255
# Sample aspect ratios by aspect_ratio_idc (H.264 table E-1); 0 is "unspecified", read as square.
_SARS = (
    (1, 1), (1, 1), (12, 11), (10, 11), (16, 11), (40, 33), (24, 11), (20, 11), (32, 11),
    (80, 33), (18, 11), (15, 11), (64, 33), (160, 99), (4, 3), (3, 2), (2, 1),
)  # fmt: skip
_PIX_FMTS = {
    (1, 8): "yuv420p",
    (2, 8): "yuv422p",
    (3, 8): "yuv444p",
    (1, 10): "yuv420p10le",
    (2, 10): "yuv422p10le",
    (3, 10): "yuv444p10le",
}


@dataclass(frozen=True)
class SpsInfo:
    """Displayed picture size (after cropping), the pixel format a decoder reports, and the pixel shape."""

    width: int
    height: int
    pix_fmt: str
    sar: tuple[int, int] = (1, 1)

    @property
    def square_pixels(self) -> bool:
        """True when each pixel is as wide as it is tall."""
        return self.sar[0] == self.sar[1]


class _Bits:
    """An MSB-first bit reader over an RBSP, with Exp-Golomb codes."""

    def __init__(self, data: bytes) -> None:
        self._value = int.from_bytes(data, "big")
        self._left = len(data) * 8

    def u(self, n: int) -> int:
        if n > self._left:
            raise ValueError("SPS ends early")
        self._left -= n
        return (self._value >> self._left) & ((1 << n) - 1)

    def ue(self) -> int:
        zeros = 0
        while self.u(1) == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("bad Exp-Golomb code")
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self) -> int:
        k = self.ue()
        return (k + 1) // 2 if k % 2 else -(k // 2)


def _rbsp(nal: bytes) -> bytes:
    """The NAL payload with emulation-prevention bytes (00 00 03) removed."""
    out = bytearray()
    zeros = 0
    for byte in nal:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _skip_scaling_list(bits: _Bits, size: int) -> None:
    last = nxt = 8
    for _ in range(size):
        if nxt:
            nxt = (last + bits.se() + 256) % 256
        last = nxt or last


def _read_chroma(bits: _Bits, profile: int) -> tuple[int, int] | None:
    """(chroma format, bit depth); high profiles code them, others are 4:2:0 at 8 bits."""
    if profile not in _HIGH_PROFILES:
        return 1, 8
    chroma = bits.ue()
    if chroma == 3 and bits.u(1):
        return None  # separate colour planes
    depth = bits.ue() + 8
    if bits.ue() + 8 != depth:
        return None
    bits.u(1)  # qpprime_y_zero_transform_bypass_flag
    if bits.u(1):
        for i in range(8 if chroma != 3 else 12):
            if bits.u(1):
                _skip_scaling_list(bits, 16 if i < 6 else 64)
    return chroma, depth


def _skip_frame_order(bits: _Bits) -> None:
    """Skip the frame numbering and picture-order-count fields."""
    bits.ue()  # log2_max_frame_num_minus4
    poc_type = bits.ue()
    if poc_type == 0:
        bits.ue()
    elif poc_type == 1:
        bits.u(1)
        bits.se()
        bits.se()
        for _ in range(bits.ue()):
            bits.se()


def _read_vui(bits: _Bits) -> tuple[bool, int, tuple[int, int]]:
    """(full range, matrix coefficients, sample aspect ratio) from the video usability information."""
    full_range, matrix, sar = False, 2, (1, 1)
    if not bits.u(1):
        return full_range, matrix, sar
    if bits.u(1):
        idc = bits.u(8)
        if idc == _EXTENDED_SAR:
            sar = (bits.u(16), bits.u(16))
        elif idc < len(_SARS):
            sar = _SARS[idc]
    if bits.u(1):
        bits.u(1)
    if bits.u(1):
        bits.u(3)
        full_range = bool(bits.u(1))
        if bits.u(1):
            bits.u(16)  # colour primaries, transfer characteristics
            matrix = bits.u(8)
    return full_range, matrix, sar


def _pixel_format(chroma: int, depth: int, full_range: bool, matrix: int) -> str | None:
    """libav's name for the pixel format; None for monochrome, odd depths and RGB coded as 4:4:4."""
    pix_fmt = _PIX_FMTS.get((chroma, depth))
    if pix_fmt is None or (chroma == 3 and matrix == 0):
        return None
    return pix_fmt.replace("yuv", "yuvj") if full_range and depth == 8 else pix_fmt


def _read(bits: _Bits) -> SpsInfo | None:
    profile = bits.u(8)
    bits.u(16)  # constraint flags, level
    bits.ue()  # seq_parameter_set_id
    coded = _read_chroma(bits, profile)
    if coded is None:
        return None
    chroma, depth = coded
    _skip_frame_order(bits)
    bits.ue()  # max_num_ref_frames
    bits.u(1)  # gaps_in_frame_num_value_allowed_flag
    width_mbs, height_units = bits.ue() + 1, bits.ue() + 1
    if not bits.u(1):
        return None  # interlaced coding: libav's field handling decides the size
    bits.u(1)  # direct_8x8_inference_flag
    crop = (bits.ue(), bits.ue(), bits.ue(), bits.ue()) if bits.u(1) else (0, 0, 0, 0)
    full_range, matrix, sar = _read_vui(bits)
    pix_fmt = _pixel_format(chroma, depth, full_range, matrix)
    if pix_fmt is None:
        return None
    sub_w, sub_h = (2, 2) if chroma == 1 else (2, 1) if chroma == 2 else (1, 1)
    width = width_mbs * 16 - sub_w * (crop[0] + crop[1])
    height = height_units * 16 - sub_h * (crop[2] + crop[3])
    if width <= 0 or height <= 0:
        return None
    return SpsInfo(width, height, pix_fmt, sar if sar[0] and sar[1] else (1, 1))


def parse_sps(nal: bytes) -> SpsInfo | None:
    """Size and pixel format from an SPS NAL unit (header byte included); None when it cannot say."""
    if not nal or nal[0] & 0x1F != 7:
        return None
    try:
        return _read(_Bits(_rbsp(nal[1:])))
    except ValueError:
        return None


def first_sps(avcc: bytes) -> SpsInfo | None:
    """What the first SPS of an MP4's ``avcC`` record says; None when there is none or it cannot say."""
    if len(avcc) < 8 or avcc[0] != 1 or avcc[5] & 0x1F < 1:
        return None
    (length,) = struct.unpack_from(">H", avcc, 6)
    return parse_sps(avcc[8 : 8 + length])
