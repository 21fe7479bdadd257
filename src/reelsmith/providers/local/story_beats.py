"""Story beats for the local writer: which beats a video of N scenes gets, and their templates.

Templates use `str.format` fields filled by the writer:
`{the_subject}` ("the luxurious perfume"), `{The_subject}` (capitalised), `{Subject}` (title case,
for on-screen text), `{setting}`, `{light}` and `{palette}`.
"""

from __future__ import annotations

from dataclasses import dataclass

CAMERA_MOVES: tuple[str, ...] = ("slow push-in", "pull back", "pan left", "pan right", "orbit", "static")

Genre = str  # "ad" | "story" | "music"


@dataclass(frozen=True)
class Beat:
    """One kind of scene: how to picture it, caption it, shoot it and tell it."""

    kind: str
    descriptions: tuple[str, ...]
    texts: tuple[str, ...]
    cameras: tuple[str, ...]
    story_lines: tuple[str, ...]
    weight: float = 1.0  # relative screen time; 1.0 is an average scene


def _beat(
    kind: str, weight: float, cameras: str, descriptions: list[str], texts: list[str], story: list[str]
) -> Beat:
    return Beat(kind, tuple(descriptions), tuple(texts), tuple(cameras.split("|")), tuple(story), weight)


# The beat tables read as prose, one line per sentence fragment; the formatter leaves them be.
# fmt: off
AD_BEATS: dict[str, Beat] = {b.kind: b for b in [
    _beat("hook", 0.8, "slow push-in|static|pan right", [
        "Extreme close-up of {the_subject} emerging from deep shadow in {setting} as a sliver of {light} "
        "sweeps across it.",
        "A striking first frame in {setting}: {the_subject} alone at the centre, dust motes drifting "
        "through {light}.",
        "A hand reaches toward {the_subject} in {setting}, the background melting into soft bokeh under "
        "{light}.",
    ], ["Look closer.", "Stop scrolling.", "Something new is here", "Wait for it"], [
        "It opens on {the_subject}, half hidden in {setting}, daring us to look closer.",
        "A single intriguing shot of {the_subject} stops the scroll.",
    ]),
    _beat("problem", 0.9, "pan left|static|pull back", [
        "A person in {setting} sighs through a dull, crowded routine, muted grey tones and flat overhead "
        "light, life still waiting for {the_subject}.",
        "Quick everyday frustration in {setting}: cluttered surfaces, tired faces and washed-out colour, "
        "the moment before {the_subject} arrives.",
        "A person glances at a plain, forgettable stand-in for {the_subject} in {setting} and puts it down, "
        "unimpressed, under cold flat light.",
    ], ["Tired of ordinary?", "Every day, the same", "There's a better way", "You deserve more"], [
        "Everyday life feels flat and ordinary without it.",
        "We see the dull routine that {the_subject} is about to change.",
    ]),
    _beat("reveal", 1.3, "orbit|slow push-in", [
        "Hero reveal: {the_subject} turns slowly on a pedestal in {setting}, {light} catching every edge as "
        "the frame blooms into {palette}.",
        "{The_subject} rises into frame in {setting}, a burst of {palette} tones spreading behind it under "
        "{light}.",
        "The camera circles {the_subject} standing proudly in {setting}, crisp reflections and {light} "
        "revealing its every detail.",
    ], ["Meet {Subject}", "Introducing {Subject}", "This is {Subject}", "Say hello to {Subject}"], [
        "Then {the_subject} is revealed in all its detail.",
        "The reveal: {the_subject}, shown like the star it is.",
    ]),
    _beat("benefit", 1.1, "pan right|pull back|static", [
        "A confident person enjoys {the_subject} in {setting}, smiling naturally, bathed in {light}, the "
        "palette of {palette} carrying the mood.",
        "Friends share {the_subject} in {setting}, relaxed and laughing, {light} and easy movement.",
        "A person uses {the_subject} in {setting} and visibly lights up, the dull greys of before replaced "
        "by {palette}.",
    ], ["Made for you", "Feel the difference", "Effortless, every day", "Life, upgraded"], [
        "With it, the day becomes brighter, easier and entirely your own.",
        "We see what {the_subject} brings: confidence and a little everyday joy.",
    ]),
    _beat("cta", 0.8, "static|pull back", [
        "Closing packshot: {the_subject} centred on a clean backdrop of {palette}, {light}, generous empty "
        "space for the logo.",
        "Final frame: {the_subject} on a minimal plinth in {setting}, the camera settling as {light} glows "
        "behind it.",
    ], ["Shop now", "Get yours today", "Available now", "Try {Subject} today"], [
        "It ends on {the_subject} and a simple invitation to make it yours.",
        "A clean final shot invites the viewer to get {the_subject} today.",
    ]),
    _beat("hero", 1.2, "orbit|slow push-in|static", [
        "{The_subject} stands centre frame in {setting}, the camera gliding around it while {light} sculpts "
        "its form against {palette}.",
        "One perfect shot: {the_subject} glowing in {setting} under {light}, every detail crisp, the "
        "background in {palette}.",
    ], ["Meet {Subject}", "{Subject}. Made for you.", "Discover {Subject}"], [
        "One perfect shot shows off {the_subject} and invites the viewer to discover it.",
    ]),
    _beat("texture", 0.9, "slow push-in|pan left", [
        "Macro close-up of {the_subject}: surfaces, edges and fine texture in razor-sharp detail under "
        "{light}, with {palette} reflections.",
        "Slow macro pass across {the_subject} in {setting}, tiny details glinting in {light}.",
        "Ultra close-up of {the_subject} as droplets of light slide across it, the backdrop a soft wash of "
        "{palette}.",
    ], ["Every detail matters", "Look closer", "Crafted with care"], [
        "Up close, every detail of {the_subject} rewards a second look.",
    ]),
    _beat("in_use", 1.0, "pan right|static|slow push-in", [
        "Hands use {the_subject} in {setting}, a smooth, satisfying motion under {light}.",
        "A person reaches for {the_subject} as part of a calm morning ritual in {setting}, {light} "
        "streaming in.",
        "Over-the-shoulder shot of someone enjoying {the_subject} in {setting}, relaxed and focused, "
        "{light}.",
    ], ["Simple. Beautiful.", "Part of your day", "Easy from the start"], [
        "We watch {the_subject} slip effortlessly into everyday life.",
    ]),
    _beat("lifestyle", 1.0, "pan left|orbit|pull back", [
        "A stylish person walks through {setting} with {the_subject}, confident stride, {light} and a "
        "palette of {palette}.",
        "Evening in {setting}: a person with {the_subject} turns toward the camera and smiles, city lights "
        "soft behind, {light}.",
        "Wide shot of {setting} at its most inviting, {the_subject} part of a carefree moment, {light}.",
    ], ["Wherever you go", "Your moment", "Live it fully"], [
        "It belongs wherever life happens, from quiet mornings to bright evenings.",
    ]),
    _beat("craft", 1.0, "slow push-in|static", [
        "Careful hands shape and finish {the_subject} in a warm workshop, sparks of {light} on every "
        "surface.",
        "The making of {the_subject}: precise, unhurried craftsmanship under {light}, materials in "
        "{palette}.",
        "Close-up of skilled hands inspecting {the_subject} for the final time under {light}.",
    ], ["Made with care", "Crafted to last", "Obsessively made"], [
        "Behind it stands patient, careful craft.",
    ]),
    _beat("moment", 1.0, "orbit|pan right", [
        "A small triumphant moment in {setting}: a person with {the_subject} pauses and savours it, {light}.",
        "Golden-hour scene in {setting}, {the_subject} in the foreground and a joyful moment unfolding "
        "behind it in {palette} tones.",
        "Slow-motion instant in {setting}: hair and fabric lifting in a breeze, {the_subject} in hand, "
        "{light}.",
    ], ["Moments worth keeping", "This feeling", "Made for moments"], [
        "It turns ordinary instants into moments worth keeping.",
    ]),
    _beat("social", 1.0, "pull back|pan left|static", [
        "A group of friends in {setting} pass {the_subject} around, laughing, {light}, warm and candid.",
        "Quick candid shot in {setting}: someone recommends {the_subject} to a friend, who smiles in "
        "delight, {light}.",
        "People of different ages enjoy {the_subject} together in {setting}, candid and warm under {light}.",
    ], ["Loved by many", "Everyone's talking", "Share the feeling"], [
        "Soon everyone wants to share it.",
    ]),
]}

STORY_BEATS: dict[str, Beat] = {b.kind: b for b in [
    _beat("setup", 1.0, "pull back|pan right|static", [
        "Establishing wide shot of {setting}: {the_subject} goes about an ordinary day, calm and unhurried, "
        "{light}.",
        "Morning in {setting}: {the_subject} is introduced in a quiet everyday ritual, {light} and a "
        "palette of {palette}.",
        "Wide, still view of {setting} before {the_subject} enters frame, small against the world, {light}.",
    ], ["An ordinary day", "Every story starts somewhere", "It began quietly", ""], [
        "In {setting}, {the_subject} lives a quiet, ordinary life.",
        "Our story begins with {the_subject} in {setting}, where nothing ever seems to change.",
    ]),
    _beat("inciting", 1.0, "slow push-in|static", [
        "{The_subject} stops in their tracks in {setting} as something unexpected appears, face lit by "
        "{light}.",
        "A sudden change in {setting}: wind rises, lights flicker and {the_subject} looks up, startled, "
        "{light}.",
        "Close-up of {the_subject} discovering something that should not be there, {light} catching their "
        "surprise.",
    ], ["Then everything changed", "Something is different", "What was that?"], [
        "Then something unexpected breaks the routine and {the_subject} cannot look away.",
    ]),
    _beat("rising", 1.0, "pan left|pan right|orbit", [
        "{The_subject} presses on through {setting}, obstacles mounting, tension building under {light}.",
        "Tracking {the_subject} across {setting} as the journey grows harder, {light} and long shadows.",
        "{The_subject} hesitates at a threshold in {setting}, then steps forward, {light} and a palette of "
        "{palette}.",
    ], ["No turning back", "Keep going", "Harder with every step", ""], [
        "{The_subject} sets out, and every step makes the path harder.",
    ]),
    _beat("climax", 1.3, "orbit|slow push-in", [
        "The decisive moment: {the_subject} faces the greatest challenge head-on in {setting}, {light}, "
        "everything at stake.",
        "Peak of the story in {setting}: {the_subject} makes the bold choice, the world around them blazing "
        "in {palette}.",
        "Slow-motion climax as {the_subject} reaches the goal in {setting}, {light} breaking through.",
    ], ["Now or never", "This is the moment", "All or nothing"], [
        "At the peak, {the_subject} faces the challenge and makes a bold choice.",
    ]),
    _beat("resolution", 1.1, "pull back|static", [
        "Quiet aftermath in {setting}: {the_subject} at peace, {light}, the world subtly changed.",
        "Final wide shot of {setting} as {the_subject} looks toward the horizon, {light}, palette of "
        "{palette}.",
        "{The_subject} returns home to {setting}, changed, {light} closing the day.",
    ], ["A new beginning", "Home, at last", "Never the same again", ""], [
        "In the end, {the_subject} finds peace, and nothing is quite the same again.",
    ]),
    _beat("vignette", 1.0, "slow push-in|orbit|static", [
        "A single evocative shot of {the_subject} in {setting}, a small story told in one glance, {light} "
        "and a palette of {palette}.",
        "{The_subject} in {setting} at the turning point of their story, a quiet moment of change, {light}.",
    ], ["One moment", "A story in one shot", ""], [
        "In one moment, {the_subject} in {setting} tells a whole story.",
    ]),
    _beat("journey", 1.0, "pan right|pull back", [
        "Wide travelling shot: {the_subject} crosses {setting}, tiny against a vast landscape, {light}.",
        "{The_subject} moves through {setting} as the day turns, {light}, long shadows stretching ahead.",
    ], ["The long road", "Onward", ""], ["The journey across {setting} is long."]),
    _beat("obstacle", 1.0, "static|slow push-in", [
        "A barrier blocks {the_subject} in {setting}; they study it, determined, {light}.",
        "Rain and wind batter {the_subject} in {setting}, yet they hold on, {light}.",
    ], ["Not so easy", "Hold on", ""], ["An obstacle nearly stops {the_subject}."]),
    _beat("ally", 1.0, "orbit|pan left", [
        "An unexpected helper appears beside {the_subject} in {setting}; a shared look of trust, {light}.",
        "{The_subject} and a newfound friend push on together through {setting}, {light}.",
    ], ["Not alone", "A friend appears", ""], ["Help arrives from someone unexpected."]),
    _beat("doubt", 1.0, "slow push-in|static", [
        "Close-up of {the_subject} alone in {setting}, doubt on their face, {light} fading.",
        "{The_subject} sits in silence in {setting}, weighing whether to give up, {light}.",
    ], ["Is it worth it?", "Doubt creeps in", ""], ["For a moment, {the_subject} doubts it all."]),
]}

MUSIC_BEATS: dict[str, Beat] = {b.kind: b for b in [
    _beat("intro", 0.9, "slow push-in|static", [
        "Atmospheric opening in {setting}: haze, silhouettes and {light}, {the_subject} glimpsed in the "
        "distance.",
        "Slow fade up on {setting}, {the_subject} framed in silhouette against {palette}.",
    ], ["", "Turn it up"], ["The song opens in {setting}, hazy and expectant."]),
    _beat("verse", 1.0, "pan left|pan right|static", [
        "Performance shot: {the_subject} in {setting}, moving with the rhythm, {light} pulsing softly.",
        "Narrative fragment in {setting}: {the_subject} walks and remembers, {light}, palette of {palette}.",
        "Close, intimate shot of {the_subject} in {setting}, eyes to camera, {light}.",
    ], ["", "Feel it"], ["A verse follows {the_subject} through {setting}."]),
    _beat("chorus", 1.1, "orbit|pull back", [
        "Explosive chorus shot: {the_subject} in {setting}, bursts of colour in {palette}, {light}, high "
        "energy.",
        "The camera spins around {the_subject} in {setting} as light and colour flood the frame in "
        "{palette}.",
        "Crowd and {the_subject} in {setting}, arms raised, {light} washing over everything.",
    ], ["", "All together now"], ["The chorus erupts in colour around {the_subject}."]),
    _beat("bridge", 1.0, "slow push-in|static", [
        "A quiet, surreal bridge: {the_subject} alone in {setting}, time slowed, {light}.",
        "Dreamlike interlude in {setting}, {the_subject} reflected in glass and water, {palette}.",
    ], ["", "Hold this moment"], ["The bridge slows time to a dream."]),
    _beat("outro", 0.9, "pull back|static", [
        "Final image: {the_subject} fading into {setting} as {light} dims to black.",
        "The camera drifts away from {the_subject} in {setting}, the colours of {palette} slowly settling.",
    ], ["", "Fade out"], ["It ends as the music fades and {the_subject} drifts out of sight."]),
]}
# fmt: on

BEATS_BY_GENRE: dict[Genre, dict[str, Beat]] = {"ad": AD_BEATS, "story": STORY_BEATS, "music": MUSIC_BEATS}

# The canonical arcs, their condensed forms for fewer scenes, and the beats added for more.
_ARCS: dict[Genre, tuple[str, ...]] = {
    "ad": ("hook", "problem", "reveal", "benefit", "cta"),
    "story": ("setup", "inciting", "rising", "climax", "resolution"),
    "music": ("intro", "verse", "chorus", "bridge", "outro"),
}
_CONDENSED: dict[Genre, dict[int, tuple[str, ...]]] = {
    "ad": {
        1: ("hero",),
        2: ("hook", "hero"),
        3: ("hook", "reveal", "cta"),
        4: ("hook", "problem", "reveal", "cta"),
    },
    "story": {
        1: ("vignette",),
        2: ("setup", "resolution"),
        3: ("setup", "climax", "resolution"),
        4: ("setup", "inciting", "climax", "resolution"),
    },
    "music": {
        1: ("chorus",),
        2: ("verse", "chorus"),
        3: ("intro", "chorus", "outro"),
        4: ("intro", "verse", "chorus", "outro"),
    },
}
_EXTRA: dict[Genre, tuple[str, ...]] = {
    "ad": ("texture", "in_use", "lifestyle", "craft", "moment", "social"),
    "story": ("journey", "obstacle", "ally", "rising", "doubt"),
    "music": ("verse", "chorus"),
}
# Extra beats go after this arc position (after the reveal / the inciting moment / the first chorus).
_INSERT_AFTER: dict[Genre, int] = {"ad": 2, "story": 1, "music": 2}


def plan_beats(genre: Genre, count: int) -> list[str]:
    """Return the beat kinds for `count` scenes: the arc, condensed below five, extended above."""
    if count < 1:
        raise ValueError("a video needs at least one scene")
    arc = _ARCS[genre]
    if count < len(arc):
        return list(_CONDENSED[genre][count])
    extra = _EXTRA[genre]
    added = [extra[i % len(extra)] for i in range(count - len(arc))]
    cut = _INSERT_AFTER[genre] + 1
    return [*arc[:cut], *added, *arc[cut:]]


def beat(genre: Genre, kind: str) -> Beat:
    """Return the template of one beat."""
    return BEATS_BY_GENRE[genre][kind]
