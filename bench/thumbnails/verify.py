"""Checks a folder of thumbnails against the folder they were made from.

    usage: /usr/bin/python3 verify.py IN_DIR OUT_DIR SIZE

Every IN_DIR/*.jpg must have OUT_DIR/<same name>, a JPEG whose size is what
PIL's Image.thumbnail((SIZE, SIZE)) gives (the longer side SIZE, the other
in proportion: 1024x768 -> 75x56), and that decodes. Exit 0 with a one-line
summary, or 1 naming the first few bad files.
"""
import math
import os
import sys

from PIL import Image


def thumbnail_size(width, height, box):
    """PIL 9's Image.thumbnail size rule (preserve_aspect_ratio)."""
    if box >= width and box >= height:
        return width, height
    aspect = width / height

    def round_aspect(number, key):
        return max(min(math.floor(number), math.ceil(number), key=key), 1)

    x = y = box
    if x / y >= aspect:
        x = round_aspect(y * aspect, key=lambda n: abs(aspect - n / y))
    else:
        y = round_aspect(x / aspect, key=lambda n: 0 if n == 0 else abs(aspect - x / n))
    return x, y


def main():
    src_dir, out_dir, box = sys.argv[1], sys.argv[2], int(sys.argv[3])
    names = sorted(f for f in os.listdir(src_dir) if f.endswith(".jpg"))
    bad = []
    for name in names:
        out = os.path.join(out_dir, name)
        try:
            with Image.open(os.path.join(src_dir, name)) as src:
                want = thumbnail_size(src.width, src.height, box)
            with Image.open(out) as thumb:
                if thumb.format != "JPEG":
                    bad.append("%s: %s, not JPEG" % (out, thumb.format))
                elif thumb.size != want:
                    bad.append("%s: %dx%d, want %dx%d" % ((out,) + thumb.size + want))
                else:
                    thumb.load()  # decodes: a damaged file raises OSError
        except OSError as e:
            bad.append("%s: %s" % (out, e))
    if bad or not names:
        print("verify: %d of %d thumbnails wrong%s" % (len(bad), len(names), "".join("\n  " + b for b in bad[:5])))
        return 1
    print("verify: %d thumbnails OK" % len(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
