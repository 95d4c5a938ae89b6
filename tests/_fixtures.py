"""Hand-built articles for fast tests (fictional text written for storydiff's tests)."""

from __future__ import annotations

from storydiff.model import Article

HERALD = Article(
    id="herald",
    title="Bridge collapse in Lindqvist injures nine",
    published="2030-04-10",
    body=(
        "A road bridge over the Sarn river in Lindqvist collapsed last Monday, injuring nine people.\n\n"
        "Engineer Petra Valenko said the main cable had snapped. \"We warned the council about the corrosion "
        "three years ago,\" she said.\n\n"
        "The bridge carried about 12,000 vehicles a day.\n\n"
        "Local bakers handed out free bread to rescue workers."
    ),
)
GAZETTE = Article(
    id="gazette",
    title="Lindqvist bridge falls, eleven hurt",
    published="2030-04-10",
    body=(
        "Eleven people were injured when a road bridge over the Sarn river in Lindqvist collapsed on April 8.\n\n"
        "Petra Valenko, an engineer, said the main cable had snapped. \"We told the council about the rust "
        "three years ago,\" Valenko said.\n\n"
        "Around 12,000 vehicles crossed the bridge every day.\n\n"
        "The regional governor will visit the site on Friday."
    ),
)
WIRE_MT = Article(
    id="wire",
    title="Lindqvist: bridge fallen, many hurt",
    published="2030-04-10",
    body=(
        "In Lindqvist a bridge of road over the river Sarn fell last Monday and nine persons were injured.\n\n"
        "The engineer Petra Barenko declared that the principal cable was broken. \"We warned the council "
        "on the corrosion three years ago,\" said Valenco.\n\n"
        "Walenko added that the inquiry continues."
    ),
)
