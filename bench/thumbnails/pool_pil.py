"""The classic job: 75x75 thumbnails of a folder of JPEGs with Pool + PIL.

This is the well-known "parallelism in one line" example, changed only to
take its folders from the command line, use Pool(2) (the machine has two
cores; tq runs two workers) and name Image.LANCZOS, which is what the
original's Image.ANTIALIAS is (Pillow 9 warns about the old name):

    usage: /usr/bin/python3 pool_pil.py IN_DIR OUT_DIR

Prints the seconds spent in pool.map() alone to stderr, so the benchmark
can show how much of the whole run is interpreter and pool start-up.
"""
import os
import sys
import time
from multiprocessing import Pool

from PIL import Image

SIZE = (75, 75)
SAVE_DIRECTORY = None  # set in main; workers are forked after it is


def get_image_paths(folder):
    return (os.path.join(folder, f) for f in sorted(os.listdir(folder)) if f.endswith(".jpg"))


def create_thumbnail(filename):
    im = Image.open(filename)
    im.thumbnail(SIZE, Image.LANCZOS)
    save_path = os.path.join(SAVE_DIRECTORY, os.path.basename(filename))
    im.save(save_path)


if __name__ == "__main__":
    folder = os.path.abspath(sys.argv[1])
    SAVE_DIRECTORY = os.path.abspath(sys.argv[2])
    os.makedirs(SAVE_DIRECTORY, exist_ok=True)
    images = get_image_paths(folder)
    pool = Pool(2)
    start = time.perf_counter()
    pool.map(create_thumbnail, images)
    elapsed = time.perf_counter() - start
    pool.close()
    pool.join()
    print("pool.map: %.3f s" % elapsed, file=sys.stderr)
