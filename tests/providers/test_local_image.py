"""The local image model: a title card for the prompt's subject."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelsmith.providers.base import ImageModel, ImageRequest
from reelsmith.providers.local import LocalImageModel
from reelsmith.providers.local.image import headline_for


def test_is_an_image_model_and_says_it_is_local() -> None:
    model = LocalImageModel()
    assert isinstance(model, ImageModel)
    assert model.name == "local"
    assert model.model.startswith("local-")


def test_headline_is_the_prompts_subject() -> None:
    assert headline_for("A luxurious perfume advertisement") == "Luxurious Perfume"


@pytest.mark.usefixtures("real_renderer")
@pytest.mark.parametrize(("aspect", "landscape"), [("16:9", True), ("9:16", False)])
def test_generate_image_writes_a_png(tmp_path: Path, aspect: str, landscape: bool) -> None:
    from PIL import Image

    dest = tmp_path / "refs" / "card.png"
    request = ImageRequest(prompt="A luxurious perfume advertisement", aspect=aspect, seed=3)  # type: ignore[arg-type]
    LocalImageModel().generate_image(request, dest)
    with Image.open(dest) as image:
        assert image.format == "PNG"
        assert (image.width > image.height) is landscape
    assert [p.name for p in dest.parent.iterdir()] == ["card.png"]  # no temp file left behind
