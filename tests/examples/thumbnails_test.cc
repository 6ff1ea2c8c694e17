// The thumbnail example (examples/thumbnails) through a real tqd: the sizes
// PIL would give, the files written, the argument forms of the C++ client
// and of `tq map`, and bad inputs that fail as tasks naming the file while
// the workers live on. Test JPEGs are made here with libjpeg (no ImageMagick).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <tq/client.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

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

}  // namespace
}  // namespace tq
