"""The local writer's narration: a spoken line per scene, built from sentences written for its beat.

A line is sized to its scene: sentences of the beat are added while the words fit the scene's
budget (`reelsmith.creative.narration.word_budget`, about 2.5 words per second of scene), so a
short scene says one short sentence and a long one says two or three. Lines are English (the
templates are); a music video is never narrated. Fields are the writer's: `{the_subject}`,
`{The_subject}`, `{setting}`.
"""

from __future__ import annotations

from collections.abc import Mapping

from reelsmith.creative.narration import word_budget
from reelsmith.providers.local import vocab
from reelsmith.speech.words import split_words

# The lines read as prose, one sentence per string; the formatter leaves them be.
# fmt: off
LINES: dict[str, tuple[str, ...]] = {
    # Ads
    "hook": ("Look closer.", "Some things stop you in your tracks.", "This is the moment everything changes.",
             "You have never seen {the_subject} like this.", "Stop for a second."),
    "problem": ("Every day feels the same.", "Ordinary just is not enough anymore.",
                "We settle for less than we deserve.", "There has to be a better way.", "Sound familiar?"),
    "reveal": ("Meet {the_subject}.", "Made with care, down to the smallest detail.",
               "Everything you wanted, in one place.", "It was worth the wait."),
    "benefit": ("Feel the difference every single day.", "It simply makes life better.",
                "More confidence, less effort.", "You will wonder how you lived without it.", "Pure joy."),
    "cta": ("Try it today.", "Make it yours now.", "Discover {the_subject}.",
            "Your new favourite thing is waiting.", "Don't wait."),
    "hero": ("Meet {the_subject}.", "Designed to stand out, made to last.",
             "Everything you love, nothing you don't.", "Try it today."),
    "texture": ("Every detail tells a story.", "Feel the quality.", "Look at the finish.",
                "Craft you can see and touch."),
    "in_use": ("It fits right into your day.", "Easy from the very first moment.", "Just use it.",
               "It works the way you do."),
    "lifestyle": ("Made for the life you want.", "Wherever the day takes you.", "It goes where you go.",
                  "Live a little brighter."),
    "craft": ("Made by hand, with patience.", "Crafted with care.", "Built to be loved for years.",
              "Quality takes time."),
    "moment": ("Some moments deserve more.", "Savour it.", "This is your moment.",
               "Stay in it a little longer."),
    "social": ("Everyone is talking about it.", "Share it with the people you love.",
               "Better together.", "Join them."),
    # Stories
    "setup": ("It begins in {setting}.", "Every day here was quiet.", "Nothing ever seemed to change.",
              "This is where our story starts."),
    "inciting": ("Then, one day, everything changed.", "Something was different.",
                 "A small discovery changed everything.", "No one saw it coming."),
    "rising": ("The road grew harder.", "Each step led further from home.", "There was no turning back now.",
               "The stakes kept rising."),
    "climax": ("This was the moment.", "Everything came down to this.", "All at once, the truth was clear.",
               "It took all the courage in the world."),
    "resolution": ("And at last, there was peace.", "Nothing would ever be the same.",
                   "Some endings are new beginnings.", "Home felt different now."),
    "vignette": ("A quiet moment in {setting}.", "Time seems to slow down here.",
                 "Sometimes the smallest moments matter most.", "Just breathe."),
    "journey": ("The journey began.", "Mile after mile, the world opened up.", "Every road leads somewhere.",
                "Keep going."),
    "obstacle": ("Then came the hardest part.", "The way was blocked.", "Nothing went to plan.",
                 "It seemed impossible."),
    "ally": ("Help came from somewhere unexpected.", "Nobody has to do it alone.", "A friend appeared.",
             "Together, it felt possible."),
    "doubt": ("Was it worth it?", "Doubt crept in.", "For a moment, everything felt lost.",
              "Maybe this was a mistake."),
}
# fmt: on


def _fill(template: str, fields: Mapping[str, str]) -> str:
    text = template.format_map(fields)
    return text[:1].upper() + text[1:]


def narration_line(kind: str, fields: Mapping[str, str], *, seed: int, index: int, duration_s: float) -> str:
    """A spoken line for one scene of beat `kind`, filling about `word_budget(duration_s)` words."""
    budget = word_budget(duration_s)
    pool = LINES.get(kind)
    if not pool:
        return ""
    start = vocab.pick(range(len(pool)), seed, "narration", kind, index)
    filled = [_fill(template, fields) for template in pool]
    order = [(start + k) % len(pool) for k in range(len(pool))]
    chosen: list[int] = []
    used = 0
    for n in order:
        count = len(split_words(filled[n]))
        if used + count <= budget:
            chosen.append(n)
            used += count
    if not chosen:  # even the shortest sentence is over budget: say the shortest
        chosen = [min(order, key=lambda n: len(split_words(filled[n])))]
    # Said in the pool's order, which is the order the sentences were written to follow.
    return " ".join(filled[n] for n in sorted(chosen))
