"""Checks a screenshot of the run report is a rendered page of charts.

A blank page, a page that failed to load (Chromium's error page) or charts
that did not draw fail: the page must be mostly light with a real share of
drawn pixels, and the charts' own colours must appear in quantity.

    python check_screenshot.py REPORT.png
"""

import sys

from PIL import Image

# The report's chart colours (src/views/svg.rs PALETTE, the outcome bars).
CHART_COLOURS = {
    "blue": (0x2F, 0x6D, 0xB5),
    "green": (0x3A, 0x9A, 0x5B),
    "red": (0xC4, 0x46, 0x3A),
}


def near(a, b, tolerance=12):
    return all(abs(x - y) <= tolerance for x, y in zip(a, b))


def main(path):
    image = Image.open(path).convert("RGB")
    width, height = image.size
    if width < 1000 or height < 2000:
        sys.exit(f"{path}: {width}x{height} is too small for the report")
    pixels = list(image.get_flattened_data())
    background = sum(1 for p in pixels if min(p) >= 235)
    drawn = len(pixels) - background
    colours = {name: sum(1 for p in pixels if near(p, rgb)) for name, rgb in CHART_COLOURS.items()}
    distinct = len(set(pixels[:: max(1, len(pixels) // 200_000)]))
    print(
        f"{path}: {width}x{height}, {drawn / len(pixels):.1%} drawn, "
        f"{distinct} colours sampled, chart pixels {colours}"
    )
    failures = []
    if drawn / len(pixels) < 0.03:
        failures.append("almost nothing is drawn (a blank page?)")
    if distinct < 50:
        failures.append("too few colours for charts and text")
    for name, n in colours.items():
        if n < 2000:
            failures.append(f"the {name} chart colour is (nearly) absent: {n} pixels")
    if failures:
        sys.exit("; ".join(failures))
    print("OK: the report renders")


if __name__ == "__main__":
    main(sys.argv[1])
