// tq-thumbnail-decode-floor DIR [SIZE]: the decode floor of the thumbnail
// row (issue 16): the CPU time libjpeg-turbo alone takes to decode each
// *.jpg of DIR at the scale a SIZE thumbnail uses (1/8 for 1024x768 and 75),
// every scan, with nothing else (the files are read into memory first and
// not timed). Beside it, the same images decoded the way the `thumbnail`
// task does (a progressive file's DC scans only, at 1/8), and how far apart
// the two give their thumbnails (mean and largest difference, of 255).
//
// Prints one line of key=value: images, progressive (how many were),
// floor_ms (CPU per image, the median of 3 rounds), dc_ms (the same for
// the task's decode), speedup (floor_ms / dc_ms), thumb_mean_diff,
// thumb_max_diff. One thread; CPU time of this thread (CLOCK_THREAD_CPUTIME_ID),
// which other load on the machine disturbs less than wall time.
#include <time.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "jpeg_thumbnailer.h"
#include "thumbnail.h"

namespace th = tq::thumbnails;

namespace {

double ThreadCpuMs() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

// CPU ms per image of decoding every file with `scans`, median of 3 rounds.
double PerImageMs(const std::vector<std::string>& files, int size,
                  th::ProgressiveScans scans) {
  std::vector<double> rounds;
  for (int round = 0; round < 3; ++round) {
    const double start = ThreadCpuMs();
    for (const std::string& bytes : files) {
      (void)th::DecodeJpeg(bytes, "", size, 1, scans);
    }
    rounds.push_back((ThreadCpuMs() - start) / files.size());
  }
  std::sort(rounds.begin(), rounds.end());
  return rounds[1];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: tq-thumbnail-decode-floor DIR [SIZE]\n");
    return 2;
  }
  const int size = argc > 2 ? std::atoi(argv[2]) : 75;
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(argv[1])) {
    if (entry.path().extension() == ".jpg") names.push_back(entry.path());
  }
  std::sort(names.begin(), names.end());
  if (names.empty()) {
    std::fprintf(stderr, "tq-thumbnail-decode-floor: no *.jpg in %s\n", argv[1]);
    return 1;
  }
  std::vector<std::string> files;
  for (const std::string& name : names) files.push_back(th::ReadFile(name));

  int progressive = 0;
  double diff_sum = 0;
  long diff_n = 0;
  int diff_max = 0;
  for (const std::string& bytes : files) {
    const th::Decoded dc = th::DecodeJpeg(bytes, "", size, 1);
    const th::Decoded full =
        th::DecodeJpeg(bytes, "", size, 1, th::ProgressiveScans::kAll);
    if (!dc.skipped_scans) continue;
    ++progressive;
    const th::Dimensions to = th::FitWithin(full.original, size);
    const th::Image a = th::ResizeArea(dc.image, to);
    const th::Image b = th::ResizeArea(full.image, to);
    for (std::size_t i = 0; i < a.pixels.size(); ++i) {
      const int d = std::abs(a.pixels[i] - b.pixels[i]);
      diff_sum += d;
      diff_max = std::max(diff_max, d);
    }
    diff_n += static_cast<long>(a.pixels.size());
  }
  const double floor_ms = PerImageMs(files, size, th::ProgressiveScans::kAll);
  const double dc_ms =
      PerImageMs(files, size, th::ProgressiveScans::kOnlyNeededAtOneEighth);
  std::printf(
      "images=%zu progressive=%d floor_ms=%.3f dc_ms=%.3f speedup=%.2f "
      "thumb_mean_diff=%.3f thumb_max_diff=%d\n",
      files.size(), progressive, floor_ms, dc_ms, floor_ms / dc_ms,
      diff_n > 0 ? diff_sum / diff_n : 0.0, diff_max);
  return 0;
}
