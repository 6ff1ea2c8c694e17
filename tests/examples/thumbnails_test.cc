// The thumbnail example (examples/thumbnails) through a real tqd: the sizes
// PIL would give, the files written, the argument forms of the C++ client
// and of `tq map`, and bad inputs that fail as tasks naming the file while
// the workers live on. Test JPEGs are made here with libjpeg (no ImageMagick).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <tq/client.h>
#ifdef TQ_THUMBNAILS_PNG
#include <png.h>
#endif

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "exif_orientation.h"
#include "jpeg_thumbnailer.h"
#include "testing/run_command.h"
#include "testing/temp_dir.h"
#include "testing/tqd_process.h"

namespace tq {
namespace {

using testing::BinPath;
using testing::LibPath;
using testing::RunCommand;
using testing::TqdProcess;
using thumbnails::Dimensions;
using thumbnails::ThumbnailInfo;

// Writes a width x height JPEG of smooth gradients (grey when channels is 1).
void WriteJpeg(const std::string& path, int width, int height,
               int channels = 3) {
  thumbnails::Image image;
  image.width = width;
  image.height = height;
  image.channels = channels;
  image.pixels.resize(static_cast<std::size_t>(width) * height * channels);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < channels; ++c) {
        image.pixels[(static_cast<std::size_t>(y) * width + x) * channels + c] =
            static_cast<unsigned char>(
                (x * 255 / width + y * 255 / height + c * 80) % 256);
      }
    }
  }
  thumbnails::WriteFile(path, thumbnails::EncodeJpeg(image, 90));
}

// A photo-like width x height RGB image: gradients, and grain that puts
// energy in every AC coefficient (a smooth gradient would have little).
thumbnails::Image PhotoLike(int width, int height) {
  thumbnails::Image image;
  image.width = width;
  image.height = height;
  image.pixels.resize(static_cast<std::size_t>(width) * height * 3);
  std::mt19937 grain(42);
  std::uniform_int_distribution<int> noise(-40, 40);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < 3; ++c) {
        const int v = (x * 255 / width + (c + 1) * y * 255 / height) / (c + 2) +
                      64 + noise(grain);
        image.pixels[(static_cast<std::size_t>(y) * width + x) * 3 + c] =
            static_cast<unsigned char>(std::clamp(v, 0, 255));
      }
    }
  }
  return image;
}

// A JPEG with an EXIF APP1 marker saying `orientation`, right after SOI, in
// big-endian ("MM") TIFF order, or little-endian ("II").
std::string WithOrientation(const std::string& jpeg, int orientation,
                            bool big_endian = true) {
  std::string tiff = big_endian ? std::string("MM\0*\0\0\0\x08", 8)
                                : std::string("II*\0\x08\0\0\0", 8);
  auto u16 = [&](int v) {
    const char hi = static_cast<char>(v >> 8), lo = static_cast<char>(v & 0xFF);
    tiff += big_endian ? std::string{hi, lo} : std::string{lo, hi};
  };
  u16(1);       // one IFD0 entry
  u16(0x0112);  // orientation
  u16(3);       // SHORT
  u16(big_endian ? 0 : 1);  // count 1, as two halves
  u16(big_endian ? 1 : 0);
  u16(orientation);
  u16(0);
  tiff += std::string(4, '\0');  // no next IFD
  const std::string payload = std::string("Exif\0\0", 6) + tiff;
  const std::size_t length = payload.size() + 2;
  return jpeg.substr(0, 2) + "\xFF\xE1" + static_cast<char>(length >> 8) +
         static_cast<char>(length & 0xFF) + payload + jpeg.substr(2);
}

// Mean and largest absolute difference of two images of one shape.
struct Difference {
  double mean = 0;
  int max = 0;
};
Difference Compare(const thumbnails::Image& a, const thumbnails::Image& b) {
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.height, b.height);
  EXPECT_EQ(a.pixels.size(), b.pixels.size());
  Difference d;
  const std::size_t n = std::min(a.pixels.size(), b.pixels.size());
  for (std::size_t i = 0; i < n; ++i) {
    const int delta = std::abs(a.pixels[i] - b.pixels[i]);
    d.mean += delta;
    d.max = std::max(d.max, delta);
  }
  d.mean /= static_cast<double>(std::max<std::size_t>(n, 1));
  return d;
}

// The size recorded in a JPEG file's header.
Dimensions JpegSize(const std::string& path) {
  return thumbnails::DecodeJpeg(thumbnails::ReadFile(path), path, 1 << 16, 1)
      .original;
}

long FileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<long>(st.st_size) : -1;
}

class ThumbnailsTest : public ::testing::Test {
 protected:
  std::string In(const std::string& name) const { return dir_.File(name); }
  std::string Out(const std::string& name) const {
    return dir_.File("t-" + name);
  }

  // The remote error of thumbnail(src, dst, 75), which must fail.
  RemoteError Failure(const std::string& src, const std::string& dst) {
    try {
      client_.apply<ThumbnailInfo>("thumbnail", src, dst, 75);
    } catch (const RemoteError& e) {
      return e;
    }
    ADD_FAILURE() << "thumbnail(" << src << ") did not fail";
    throw std::logic_error("no failure");
  }

  testing::TempDir dir_;
  TqdProcess tqd_{
      {.extra_args = {"--plugin", LibPath("libtq_thumbnail_tasks.so")}}};
  Client client_{tqd_.endpoint()};
};

TEST_F(ThumbnailsTest, MakesJpegThumbnailsOfThePilSizeAndReportsThem) {
  // {source size, what PIL's Image.thumbnail((75, 75)) gives}
  const std::vector<std::pair<Dimensions, Dimensions>> cases = {
      {{1024, 768}, {75, 56}}, {{600, 800}, {56, 75}}, {{300, 600}, {37, 75}},
      {{200, 100}, {75, 38}},  {{50, 40}, {50, 40}},   {{1, 1000}, {1, 75}}};
  for (const auto& [source, want] : cases) {
    const std::string name = std::to_string(source.width) + "x" +
                             std::to_string(source.height) + ".jpg";
    WriteJpeg(In(name), source.width, source.height);
    const auto info =
        client_.apply<ThumbnailInfo>("thumbnail", In(name), Out(name), 75);
    EXPECT_EQ(info.width, want.width) << name;
    EXPECT_EQ(info.height, want.height) << name;
    EXPECT_EQ(info.bytes, FileSize(Out(name))) << name;
    EXPECT_EQ(JpegSize(Out(name)), want) << name;
  }
}

TEST_F(ThumbnailsTest, GreyStaysGreyAndSizeIsTheLongerSide) {
  WriteJpeg(In("grey.jpg"), 640, 480, 1);
  const auto info = client_.apply<ThumbnailInfo>("thumbnail", In("grey.jpg"),
                                                 Out("grey.jpg"), 160);
  EXPECT_EQ(info.width, 160);
  EXPECT_EQ(info.height, 120);
  EXPECT_EQ(thumbnails::DecodeJpeg(thumbnails::ReadFile(Out("grey.jpg")), "",
                                   1 << 16, 1)
                .image.channels,
            1);
}

TEST_F(ThumbnailsTest, ClientMapSendsEachJobAsOneArrayInInputOrder) {
  std::vector<std::tuple<std::string, std::string, int>> jobs;
  for (int i = 0; i < 6; ++i) {
    const std::string name = "m" + std::to_string(i) + ".jpg";
    WriteJpeg(In(name), 400 + 100 * i, 300);
    jobs.emplace_back(In(name), Out(name), 75);
  }
  const std::vector<ThumbnailInfo> infos =
      client_.map<ThumbnailInfo>("thumbnail", jobs);
  ASSERT_EQ(infos.size(), jobs.size());
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    EXPECT_EQ(infos[i].width, 75) << i;
    EXPECT_EQ(JpegSize(std::get<1>(jobs[i])), (Dimensions{75, infos[i].height}))
        << i;
  }
  EXPECT_EQ(infos[0].height, 56);  // 400x300
  EXPECT_EQ(infos[5].height, 25);  // 900x300
}

TEST_F(ThumbnailsTest, TqMapTakesOneJsonObjectOrArrayPerLine) {
  WriteJpeg(In("a.jpg"), 1024, 768);
  WriteJpeg(In("b.jpg"), 768, 1024);
  const std::string input = "{\"src\":\"" + In("a.jpg") + "\",\"dst\":\"" +
                            Out("a.jpg") + "\",\"size\":75}\n[\"" +
                            In("b.jpg") + "\",\"" + Out("b.jpg") + "\",75]\n";
  const auto r = RunCommand({BinPath("tq"), "map", "thumbnail"}, input,
                            {"TQ_ENDPOINT=" + tqd_.endpoint()});
  ASSERT_EQ(r.code(), 0) << r.err;
  EXPECT_EQ(r.out, "{\"bytes\":" + std::to_string(FileSize(Out("a.jpg"))) +
                       ",\"height\":56,\"width\":75}\n{\"bytes\":" +
                       std::to_string(FileSize(Out("b.jpg"))) +
                       ",\"height\":75,\"width\":56}\n");
}

TEST_F(ThumbnailsTest, AMissingFileFailsWithAFileErrorNamingIt) {
  const RemoteError e = Failure(In("no-such.jpg"), Out("x.jpg"));
  EXPECT_EQ(e.type(), "thumbnail.FileError");
  EXPECT_NE(e.message().find(In("no-such.jpg")), std::string::npos)
      << e.message();
  EXPECT_NE(e.message().find("No such file or directory"), std::string::npos)
      << e.message();
  EXPECT_EQ(FileSize(Out("x.jpg")), -1);
}

TEST_F(ThumbnailsTest,
       CorruptFilesFailWithAnImageErrorNamingThemAndWorkersLive) {
  const std::vector<pid_t> workers = tqd_.WorkerPids();
  thumbnails::WriteFile(In("text.jpg"), "this is not a JPEG at all\n");
  thumbnails::WriteFile(In("empty.jpg"), "");
  WriteJpeg(In("whole.jpg"), 1024, 768);
  const std::string whole = thumbnails::ReadFile(In("whole.jpg"));
  thumbnails::WriteFile(In("truncated.jpg"),
                        std::string_view(whole).substr(0, whole.size() / 2));
  thumbnails::WriteFile(In("header-cut.jpg"),
                        std::string_view(whole).substr(0, 100));

  for (const char* name :
       {"text.jpg", "empty.jpg", "truncated.jpg", "header-cut.jpg"}) {
    const RemoteError e = Failure(In(name), Out(name));
    EXPECT_EQ(e.type(), "thumbnail.ImageError") << name << ": " << e.message();
    EXPECT_NE(e.message().find(In(name)), std::string::npos) << e.message();
  }
  // The same workers serve the next good image: nothing crashed.
  EXPECT_EQ(client_
                .apply<ThumbnailInfo>("thumbnail", In("whole.jpg"),
                                      Out("whole.jpg"), 75)
                .width,
            75);
  std::vector<pid_t> now = tqd_.WorkerPids();
  std::vector<pid_t> before = workers;
  std::sort(now.begin(), now.end());
  std::sort(before.begin(), before.end());
  EXPECT_EQ(now, before);
}

TEST_F(ThumbnailsTest, TheFolderDriverFinishesTheFolderAndNamesEachBrokenFile) {
  testing::TempDir photos, thumbs;
  for (int i = 0; i < 12; ++i) {
    WriteJpeg(photos.File("p" + std::to_string(i) + ".jpg"), 320, 240);
  }
  thumbnails::WriteFile(photos.File("corrupt.jpg"), "this is not a JPEG at all\n");
  thumbnails::WriteFile(photos.File("empty.jpg"), "");
  const auto r = RunCommand({BinPath("tq-thumbnail-folder"), photos.path(), thumbs.path()},
                            "", {"TQ_ENDPOINT=" + tqd_.endpoint()});
  EXPECT_EQ(r.code(), 1) << r.err;
  EXPECT_EQ(r.out.rfind("12 thumbnails, ", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("; 2 failed"), std::string::npos) << r.out;
  for (const char* broken : {"corrupt.jpg", "empty.jpg"}) {
    EXPECT_NE(r.err.find(photos.File(broken) + ": thumbnail.ImageError: "), std::string::npos)
        << r.err;
  }
  for (int i = 0; i < 12; ++i) {
    const std::string name = "p" + std::to_string(i) + ".jpg";
    EXPECT_EQ(JpegSize(thumbs.File(name)), (Dimensions{75, 56})) << name;
  }
}

TEST_F(ThumbnailsTest, AnUnwritableDestinationFailsNamingIt) {
  WriteJpeg(In("ok.jpg"), 100, 100);
  const std::string dst = dir_.File("no-such-dir/ok.jpg");
  const RemoteError e = Failure(In("ok.jpg"), dst);
  EXPECT_EQ(e.type(), "thumbnail.FileError");
  EXPECT_NE(e.message().find(dst), std::string::npos) << e.message();
}

TEST_F(ThumbnailsTest, MalformedJobsAreBadArguments) {
  auto type_of = [&](auto&&... args) {
    try {
      client_.apply<ThumbnailInfo>("thumbnail", args...);
    } catch (const RemoteError& e) {
      return e.type() + ": " + e.message();
    }
    return std::string("no error");
  };
  EXPECT_NE(type_of(std::string("a.jpg")).find("tq.BadArguments"),
            std::string::npos);
  EXPECT_NE(type_of(std::string("a"), std::string("b"), 0).find("'size'"),
            std::string::npos);
  EXPECT_NE(type_of(1, std::string("b"), 75).find("'src'"), std::string::npos);
  EXPECT_NE(
      type_of(std::map<std::string, std::string>{{"src", "a"}}).find("'dst'"),
      std::string::npos);
}

// ---- progressive JPEGs: the DC scans alone at 1/8 ---------------------------

// Grey: at 1/8 only the DC is needed, and its first scan lacks only the
// lowest bit (libjpeg's default progression sends it later), which moves a
// pixel by at most the DC quantiser / 8: one level at these qualities.
TEST(ThumbnailDecodeTest, AGreyProgressiveJpegAtOneEighthFromItsDcScanAloneIsWithinOneLevel) {
  const thumbnails::Image photo = PhotoLike(1024, 768);
  thumbnails::Image grey;
  grey.width = photo.width;
  grey.height = photo.height;
  grey.channels = 1;
  for (std::size_t i = 0; i < photo.pixels.size(); i += 3) {
    grey.pixels.push_back(photo.pixels[i]);
  }
  for (const int quality : {75, 85, 95}) {
    const std::string jpeg =
        thumbnails::EncodeJpeg(grey, quality, thumbnails::JpegMode::kProgressive);
    const auto dc = thumbnails::DecodeJpeg(jpeg, "g.jpg", 75, 1);
    const auto full = thumbnails::DecodeJpeg(jpeg, "g.jpg", 75, 1,
                                             thumbnails::ProgressiveScans::kAll);
    ASSERT_TRUE(dc.skipped_scans) << quality;  // else this compares a decode with itself
    EXPECT_FALSE(full.skipped_scans);
    EXPECT_EQ(dc.image.width, 128);
    EXPECT_EQ(dc.image.height, 96);
    EXPECT_LE(Compare(dc.image, full.image).max, 1) << quality;
  }
}

// Colour (4:2:0): libjpeg-turbo decodes the half-size chroma at 1/8 with a
// 2x2 inverse DCT, so the chroma's first AC scans are read too; their
// lowest bits are still missing. The test image's grain is independent per
// channel, far more chroma detail than a photo has (make-images' photos:
// 0.7 levels apart on average, 6 at most); the thumbnails still agree to
// about a level, and stay about as close to the full-size decode's.
TEST(ThumbnailDecodeTest, AColourProgressiveJpegAtOneEighthFromItsFirstScansGivesTheSameThumbnail) {
  for (const int quality : {75, 85, 95}) {
    const std::string jpeg = thumbnails::EncodeJpeg(
        PhotoLike(1024, 768), quality, thumbnails::JpegMode::kProgressive);
    const auto dc = thumbnails::DecodeJpeg(jpeg, "p.jpg", 75, 1);
    const auto full = thumbnails::DecodeJpeg(jpeg, "p.jpg", 75, 1,
                                             thumbnails::ProgressiveScans::kAll);
    ASSERT_TRUE(dc.skipped_scans) << quality;
    const thumbnails::Dimensions size = thumbnails::FitWithin(full.original, 75);
    const thumbnails::Image dc_thumb = thumbnails::ResizeArea(dc.image, size);
    const thumbnails::Image full_thumb = thumbnails::ResizeArea(full.image, size);
    const Difference d = Compare(dc_thumb, full_thumb);
    EXPECT_LT(d.mean, 1.5) << quality;
    EXPECT_LE(d.max, 8) << quality;
    const thumbnails::Image truth = thumbnails::ResizeArea(
        thumbnails::DecodeJpeg(jpeg, "p.jpg", 1 << 16, 1).image, size);
    EXPECT_LT(Compare(dc_thumb, truth).mean, Compare(full_thumb, truth).mean + 0.75)
        << quality;
  }
}

TEST(ThumbnailDecodeTest, BaselineJpegsAndLargerScalesDecodeEveryScan) {
  const thumbnails::Image photo = PhotoLike(640, 480);
  const std::string baseline = thumbnails::EncodeJpeg(photo, 85);
  EXPECT_FALSE(thumbnails::DecodeJpeg(baseline, "b.jpg", 75, 1).skipped_scans);
  const std::string progressive =
      thumbnails::EncodeJpeg(photo, 85, thumbnails::JpegMode::kProgressive);
  // 320 wide needs 1/2: AC coefficients count there.
  EXPECT_FALSE(thumbnails::DecodeJpeg(progressive, "p.jpg", 320, 1).skipped_scans);
}

TEST_F(ThumbnailsTest, ATruncatedProgressiveJpegStillFailsAsTruncated) {
  const std::string jpeg = thumbnails::EncodeJpeg(
      PhotoLike(1024, 768), 85, thumbnails::JpegMode::kProgressive);
  // Cut past the scans a 1/8 decode needs, in the middle of the later ones.
  thumbnails::WriteFile(In("cut.jpg"),
                        std::string_view(jpeg).substr(0, jpeg.size() * 2 / 3));
  const RemoteError e = Failure(In("cut.jpg"), Out("cut.jpg"));
  EXPECT_EQ(e.type(), "thumbnail.ImageError");
  EXPECT_NE(e.message().find("truncated"), std::string::npos) << e.message();
}

// ---- by content, not by name -------------------------------------------------

#ifdef TQ_THUMBNAILS_PNG
// `image` as PNG bytes, with libpng's simplified writer.
std::string Png(const thumbnails::Image& image) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  png.width = static_cast<png_uint_32>(image.width);
  png.height = static_cast<png_uint_32>(image.height);
  png.format = image.channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  EXPECT_NE(png_image_write_to_memory(&png, nullptr, &size, 0,
                                      image.pixels.data(), 0, nullptr),
            0);
  std::string bytes(size, '\0');
  EXPECT_NE(png_image_write_to_memory(&png, bytes.data(), &size, 0,
                                      image.pixels.data(), 0, nullptr),
            0)
      << png.message;
  bytes.resize(size);
  return bytes;
}

TEST_F(ThumbnailsTest, APngNamedJpgIsThumbnailedByItsContent) {
  const thumbnails::Image photo = PhotoLike(400, 300);
  thumbnails::WriteFile(In("really-a-png.jpg"), Png(photo));
  const auto info = client_.apply<ThumbnailInfo>(
      "thumbnail", In("really-a-png.jpg"), Out("really-a-png.jpg"), 75);
  EXPECT_EQ(info.width, 75);
  EXPECT_EQ(info.height, 56);
  // A JPEG comes out, and it shows the same picture.
  const auto thumb = thumbnails::DecodeJpeg(
      thumbnails::ReadFile(Out("really-a-png.jpg")), "", 1 << 16, 1);
  EXPECT_EQ(thumb.original, (Dimensions{75, 56}));
  EXPECT_LT(Compare(thumb.image, thumbnails::ResizeArea(photo, {75, 56})).mean,
            4.0);
}

TEST_F(ThumbnailsTest, ACorruptPngFailsWithAnImageErrorNamingIt) {
  const std::string png = Png(PhotoLike(64, 48));
  thumbnails::WriteFile(In("bad-png.jpg"),
                        std::string_view(png).substr(0, png.size() / 2));
  const RemoteError e = Failure(In("bad-png.jpg"), Out("bad-png.jpg"));
  EXPECT_EQ(e.type(), "thumbnail.ImageError");
  EXPECT_NE(e.message().find(In("bad-png.jpg") + "' as a PNG"),
            std::string::npos)
      << e.message();
}
#endif

// ---- EXIF orientation -----------------------------------------------------------

TEST(ExifOrientationTest, ReadsTheTagInEitherByteOrderAndIgnoresWhatIsNotExif) {
  thumbnails::Image tiny;
  tiny.width = tiny.height = 8;
  tiny.pixels.assign(8 * 8 * 3, 128);
  const std::string jpeg = thumbnails::EncodeJpeg(tiny, 75);
  for (const bool big : {true, false}) {
    for (int o = 1; o <= 8; ++o) {
      EXPECT_EQ(thumbnails::DecodeJpeg(WithOrientation(jpeg, o, big), "", 75, 1)
                    .orientation,
                o)
          << o << (big ? " MM" : " II");
    }
  }
  EXPECT_EQ(thumbnails::DecodeJpeg(jpeg, "", 75, 1).orientation, 1);
  EXPECT_EQ(thumbnails::ExifOrientation(std::string("Exif\0\0MM\0*", 10)), 1);
  EXPECT_EQ(thumbnails::ExifOrientation("not exif at all"), 1);
  EXPECT_EQ(thumbnails::ExifOrientation(
                WithOrientation(jpeg, 9).substr(6, 32)),  // out of range
            1);
}

TEST(ExifOrientationTest, TurnsEachOrientationUpright) {
  // 3x2, one grey level per pixel:  0 1 2
  //                                 3 4 5
  thumbnails::Image in;
  in.width = 3;
  in.height = 2;
  in.channels = 1;
  in.pixels = {0, 1, 2, 3, 4, 5};
  const std::map<int, std::vector<unsigned char>> want = {
      {1, {0, 1, 2, 3, 4, 5}}, {2, {2, 1, 0, 5, 4, 3}},
      {3, {5, 4, 3, 2, 1, 0}}, {4, {3, 4, 5, 0, 1, 2}},
      {5, {0, 3, 1, 4, 2, 5}}, {6, {3, 0, 4, 1, 5, 2}},
      {7, {5, 2, 4, 1, 3, 0}}, {8, {2, 5, 1, 4, 0, 3}}};
  for (const auto& [o, pixels] : want) {
    const thumbnails::Image out = thumbnails::Orient(in, o);
    EXPECT_EQ(out.pixels, pixels) << o;
    EXPECT_EQ(out.width, o >= 5 ? 2 : 3) << o;
  }
}

TEST_F(ThumbnailsTest, ExifOrientationSixGivesAThumbnailTurnedClockwise) {
  // 200x100: the left half white, the right half black. Seen upright
  // (turned 90 degrees clockwise) the white half is on top.
  thumbnails::Image halves;
  halves.width = 200;
  halves.height = 100;
  halves.channels = 1;
  halves.pixels.resize(200 * 100);
  for (int y = 0; y < 100; ++y) {
    for (int x = 0; x < 200; ++x) halves.pixels[y * 200 + x] = x < 100 ? 255 : 0;
  }
  thumbnails::WriteFile(In("turned.jpg"),
                        WithOrientation(thumbnails::EncodeJpeg(halves, 90), 6));
  const auto info = client_.apply<ThumbnailInfo>("thumbnail", In("turned.jpg"),
                                                 Out("turned.jpg"), 75);
  EXPECT_EQ(info.width, 38);
  EXPECT_EQ(info.height, 75);
  const auto thumb = thumbnails::DecodeJpeg(
      thumbnails::ReadFile(Out("turned.jpg")), "", 1 << 16, 1);
  ASSERT_EQ(thumb.original, (Dimensions{38, 75}));
  const auto& p = thumb.image.pixels;
  EXPECT_GT(p[10 * 38 + 19], 200);  // top
  EXPECT_LT(p[65 * 38 + 19], 55);   // bottom
}

}  // namespace
}  // namespace tq
