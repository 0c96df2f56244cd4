"""Legible colours in every theme: WCAG contrast, and the theme's colours nudged where they fall short.

A theme's colours are chosen for its own backgrounds; some pairs the app shows fall below the
4.5:1 WCAG asks of body text (textual-dark's `$text` on its blue cursor, atom-one-light's footer
keys). Textual's `auto` colour picks black or white by perceived brightness, which on a mid-tone
blue picks white at 3.7:1 where black reads at 5.4:1: the choice here is by contrast ratio.
"""

from __future__ import annotations

from textual.color import Color, ColorParseError

# WCAG 2 AA for normal text.
MIN_CONTRAST = 4.5
# A focused tree tints its background with 5 % of the foreground (Textual's Tree:focus): on
# rose-pine-dawn that takes a tenth off every ratio on it, so the tinted shade is checked too.
FOCUS_TINT = 0.05

BLACK = Color(0, 0, 0)
WHITE = Color(255, 255, 255)

# (variable made legible, the backgrounds it is drawn on). The foreground first: the others'
# "auto" colours do not depend on it. Solarized's reads at 4.1:1 on its own surface.
LEGIBLE = (
    ("foreground", ("surface", "background", "panel")),
    ("button-foreground", ("surface",)),
    # The status words: textual-light's "✓ read" in $text-success is 3.5:1 on its background.
    *(
        (f"text-{tone}", ("background", "focused-background", "surface"))
        for tone in ("success", "warning", "error", "primary", "accent")
    ),
    ("block-cursor-foreground", ("block-cursor-background",)),
    ("footer-key-foreground", ("footer-background",)),
    ("footer-description-foreground", ("footer-background",)),
)
# (new variable, the colour wanted, the backgrounds it is drawn on)
DERIVED = (
    ("masthead-foreground", "text", ("primary",)),
    # A served session's learner name, in the accent on the masthead's primary.
    ("masthead-accent", "text-accent", ("primary",)),
)


def relative_luminance(color: Color) -> float:
    def channel(value: int) -> float:
        scaled = value / 255
        return scaled / 12.92 if scaled <= 0.03928 else ((scaled + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)


def contrast_ratio(foreground: Color, background: Color) -> float:
    """WCAG contrast of two opaque colours, from 1 (the same) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def legible(wanted: Color, backgrounds: list[Color]) -> Color:
    """`wanted` if it reads on every one of `backgrounds` (blended on the first, as drawn), else it
    at full strength, else it moved towards black or white, whichever reads better, just far enough
    to read: the theme keeps its hue where it can. Black or white itself always reaches 4.58:1 on
    one background; on several, the extreme that reads best on the worst of them."""

    def worst(color: Color) -> float:
        return min(contrast_ratio(color, background) for background in backgrounds)

    for candidate in (backgrounds[0] + wanted, wanted.with_alpha(1.0)):
        if worst(candidate) >= MIN_CONTRAST:
            return candidate
    extreme = max((BLACK, WHITE), key=worst)
    full = wanted.with_alpha(1.0)
    for step in range(1, 21):
        candidate = full.blend(extreme, step / 20)
        if worst(candidate) >= MIN_CONTRAST:
            return candidate
    return extreme


def _parse(value: str | None, background: Color | None = None) -> Color | None:
    """A theme colour as RGB ("auto 87%" as Textual draws it on `background`), or None for what has
    no fixed RGB: the terminal's ANSI colours."""
    if value is None:
        return None
    words = value.split()
    if words and words[0] == "auto" and background is not None:
        alpha = float(words[1].rstrip("%")) / 100 if len(words) > 1 else 1.0
        return background.get_contrast_text(alpha)
    try:
        color = Color.parse(value)
    except ColorParseError:
        return None
    return None if color.ansi is not None else color


def legible_variables(variables: dict[str, str]) -> dict[str, str]:
    """The theme's CSS variables with those above made legible. Under an ANSI theme the terminal's
    own palette decides, so the variables are left as they are."""
    adjusted = dict(variables)
    background, foreground = _parse(variables.get("background")), _parse(variables.get("foreground"))
    if background is not None and foreground is not None:
        adjusted["focused-background"] = (background + foreground.with_alpha(FOCUS_TINT)).hex
    wanted_colours = [(name, name, backgrounds) for name, backgrounds in LEGIBLE] + list(DERIVED)
    for name, wanted_name, background_names in wanted_colours:
        backgrounds = [_parse(adjusted.get(background)) for background in background_names]
        opaque = [background for background in backgrounds if background is not None]
        wanted = _parse(adjusted.get(wanted_name), opaque[0] if opaque else None)
        if wanted is not None and len(opaque) == len(backgrounds):
            adjusted[name] = legible(wanted, opaque).hex
        elif name not in adjusted:
            adjusted[name] = adjusted.get(wanted_name, "ansi_default")
    return adjusted
