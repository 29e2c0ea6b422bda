#!/usr/bin/env python3
"""Draws the app's icons (standard library only: zlib writes the PNGs).

    python3 scripts/draw-icons.py        # rewrites static/ and the alert icon

static/appIcon.png (36x36) and appIcon_2x.png (72x72): the app's icon in
Splunk Web's app bar and Apps list; appIconAlt*.png: the same on a dark
bar; appserver/static/qradar_soar.png (48x48): the alert action's icon in
the actions list. The picture: a shield (security operations) holding an
upward arrow (an alert escalated into a case), white on a blue tile.
Every pixel is the average of 8x8 samples, so the edges are smooth."""
import os
import struct
import zlib

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SS = 8  # samples per pixel side


def png(path, w, h, rows):
    """rows: h lists of w (r, g, b, a) tuples, 0..255."""
    raw = b"".join(b"\0" + bytes(c for px in row for c in px) for row in rows)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    with open(path, "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n")
        fh.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)))
        fh.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        fh.write(chunk(b"IEND", b""))


def in_rounded_rect(x, y, r):
    """Unit square [0,1]^2 with corner radius r."""
    cx = min(max(x, r), 1 - r)
    cy = min(max(y, r), 1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r and 0 <= x <= 1 and 0 <= y <= 1


def in_poly(x, y, pts):
    inside = False
    j = len(pts) - 1
    for i in range(len(pts)):
        xi, yi = pts[i]
        xj, yj = pts[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def shield(cx, top, w, h, n=24):
    """A heater shield: a slightly arched top, straight upper sides, curved
    lower sides meeting in a point."""
    pts = []
    half = w / 2
    shoulder = top + 0.3 * h
    for i in range(n + 1):  # top edge, left to right, dipping a little
        t = i / n
        pts.append((cx - half + w * t, top + 0.07 * h * (1 - (2 * t - 1) ** 2)))
    pts.append((cx + half, shoulder))
    for i in range(1, n + 1):  # right lower side, bulging, to the point
        t = i / n
        pts.append((cx + half * (1 - t ** 2.2), shoulder + (top + h - shoulder) * t))
    for i in range(1, n):  # the left side, mirrored
        t = 1 - i / n
        pts.append((cx - half * (1 - t ** 2.2), shoulder + (top + h - shoulder) * t))
    pts.append((cx - half, shoulder))
    return pts


def arrow(cx, top, w, h):
    """An upward arrow: a head of width w over a shaft."""
    head = 0.48 * h
    shaft = 0.36 * w
    return [(cx, top), (cx + w / 2, top + head), (cx + shaft / 2, top + head),
            (cx + shaft / 2, top + h), (cx - shaft / 2, top + h), (cx - shaft / 2, top + head),
            (cx - w / 2, top + head)]


def mix(a, b, t):
    return tuple(a[i] + (b[i] - a[i]) * t for i in range(3))


BLUE_TOP, BLUE_BOTTOM = (38, 118, 255), (0, 45, 156)
DARK_TOP, DARK_BOTTOM = (22, 32, 48), (8, 14, 24)
WHITE = (255, 255, 255)


def draw(size, tile_top, tile_bottom, arrow_top, arrow_bottom):
    sh = shield(0.5, 0.16, 0.6, 0.7)
    ar = arrow(0.5, 0.29, 0.34, 0.42)
    rows = []
    for py in range(size):
        row = []
        for px in range(size):
            acc = [0.0, 0.0, 0.0, 0.0]
            for sy in range(SS):
                y = (py + (sy + 0.5) / SS) / size
                for sx in range(SS):
                    x = (px + (sx + 0.5) / SS) / size
                    if not in_rounded_rect(x, y, 0.2):
                        continue
                    if in_poly(x, y, ar):
                        c = mix(arrow_top, arrow_bottom, y)
                    elif in_poly(x, y, sh):
                        c = WHITE
                    else:
                        c = mix(tile_top, tile_bottom, y)
                    acc[0] += c[0]
                    acc[1] += c[1]
                    acc[2] += c[2]
                    acc[3] += 1
            n = acc[3]
            if n == 0:
                row.append((0, 0, 0, 0))
            else:
                row.append((round(acc[0] / n), round(acc[1] / n), round(acc[2] / n),
                            round(255 * n / (SS * SS))))
        rows.append(row)
    return rows


def main():
    blue = (BLUE_TOP, BLUE_BOTTOM, BLUE_TOP, BLUE_BOTTOM)
    dark = (DARK_TOP, DARK_BOTTOM, BLUE_TOP, BLUE_BOTTOM)
    out = [("static/appIcon.png", 36, blue), ("static/appIcon_2x.png", 72, blue),
           ("static/appIconAlt.png", 36, dark), ("static/appIconAlt_2x.png", 72, dark),
           ("appserver/static/qradar_soar.png", 48, blue)]
    for rel, size, colours in out:
        png(os.path.join(TOP, rel), size, size, draw(size, *colours))
        print("draw-icons: %s (%dx%d)" % (rel, size, size))


if __name__ == "__main__":
    main()
