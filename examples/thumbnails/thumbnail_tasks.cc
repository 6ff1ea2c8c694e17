// A tq plugin with the classic multiprocessing job: JPEG thumbnails.
//
//   tqd --plugin build/lib/libtq_thumbnail_tasks.so &
//   tq call thumbnail '"/p/a.jpg"' '"/t/a.jpg"' 75
//   {"bytes":1440,"height":56,"width":75}
//   examples/thumbnails/thumbnail-folder /p /t     # a folder, via tq map
//
// thumbnail(src, dst, size) reads the image `src` (a JPEG or a PNG, by
// content), writes a JPEG thumbnail whose longer side is `size` (PIL's
// Image.thumbnail rule: aspect kept, never enlarged; turned upright by its
// EXIF orientation) to `dst`, and returns {width, height, bytes}. The same
// job also comes as one argument, which is what `tq map` sends (one JSON
// value per input line): [src, dst, size] or
// {"src": .., "dst": .., "size": ..}. The worker opens the paths: they
// should be absolute.
//
// Failures are task errors naming the file, never a crash:
// thumbnail.FileError (src unreadable, dst unwritable),
// thumbnail.ImageError (neither JPEG nor PNG, truncated, corrupt) and
// tq.BadArguments (a malformed job).
//
// `thumbnail` uses libjpeg-turbo's scaled decoding (jpeg_thumbnailer.h),
// the faster of the two by measurement (README.md); `thumbnail_libjpeg` and
// `thumbnail_vips` name each implementation that was built.
#include <tq/worker/task.h>

#include <span>
#include <string>
#include <string_view>

#include "jpeg_thumbnailer.h"
#include "thumbnail.h"
#ifdef TQ_THUMBNAILS_VIPS
#include "vips_thumbnailer.h"
#endif

namespace {

using tq::thumbnails::ThumbnailInfo;
using tq::worker::TaskError;

constexpr int kMaxSize = 65500;  // JPEG's largest side

struct Job {
  std::string src;
  std::string dst;
  int size = 0;
};

const char* TypeName(const msgpack::object& o) {
  switch (o.type) {
    case msgpack::type::NIL:
      return "null";
    case msgpack::type::BOOLEAN:
      return "bool";
    case msgpack::type::POSITIVE_INTEGER:
    case msgpack::type::NEGATIVE_INTEGER:
      return "int";
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64:
      return "float";
    case msgpack::type::STR:
      return "string";
    case msgpack::type::BIN:
      return "bin";
    case msgpack::type::ARRAY:
      return "array";
    case msgpack::type::MAP:
      return "object";
    case msgpack::type::EXT:
      return "ext";
  }
  return "unknown";
}

[[noreturn]] void BadArguments(const std::string& why) {
  throw TaskError("tq.BadArguments",
                  "thumbnail takes (src, dst, size), [src, dst, size] or "
                  "{\"src\": .., \"dst\": .., \"size\": ..}: " +
                      why);
}

std::string String(const msgpack::object& o, const char* field) {
  if (o.type != msgpack::type::STR || o.via.str.size == 0) {
    BadArguments(std::string("'") + field +
                 "' must be a non-empty string (got " + TypeName(o) + ")");
  }
  return std::string(o.via.str.ptr, o.via.str.size);
}

int Size(const msgpack::object& o) {
  if (o.type != msgpack::type::POSITIVE_INTEGER || o.via.u64 == 0 ||
      o.via.u64 > kMaxSize) {
    BadArguments("'size' must be an integer from 1 to " +
                 std::to_string(kMaxSize));
  }
  return static_cast<int>(o.via.u64);
}

Job FromArray(const msgpack::object_array& a) {
  if (a.size != 3) BadArguments("got " + std::to_string(a.size) + " values");
  return {String(a.ptr[0], "src"), String(a.ptr[1], "dst"), Size(a.ptr[2])};
}

Job FromMap(const msgpack::object_map& m) {
  Job job;
  for (const msgpack::object_kv& kv : std::span(m.ptr, m.size)) {
    const std::string key =
        kv.key.type == msgpack::type::STR
            ? std::string(kv.key.via.str.ptr, kv.key.via.str.size)
            : std::string();
    if (key == "src") {
      job.src = String(kv.val, "src");
    } else if (key == "dst") {
      job.dst = String(kv.val, "dst");
    } else if (key == "size") {
      job.size = Size(kv.val);
    } else {
      BadArguments("unknown field '" + key + "'");
    }
  }
  if (job.src.empty()) BadArguments("missing 'src'");
  if (job.dst.empty()) BadArguments("missing 'dst'");
  if (job.size == 0) BadArguments("missing 'size'");
  return job;
}

Job ParseJob(std::string_view args) {
  if (args.empty()) BadArguments("got no arguments");
  msgpack::object_handle oh;
  try {
    // Three short fields: anything much larger is not a job.
    oh = msgpack::unpack(args.data(), args.size(), nullptr, nullptr,
                         msgpack::unpack_limit(8, 8, 64 * 1024, 0, 0, 3));
  } catch (const std::exception& e) {
    BadArguments(std::string("unreadable arguments: ") + e.what());
  }
  const msgpack::object& o = oh.get();
  if (o.type != msgpack::type::ARRAY)
    BadArguments("arguments must be an array");
  const msgpack::object_array& a = o.via.array;
  if (a.size == 3) return FromArray(a);
  if (a.size != 1) BadArguments("got " + std::to_string(a.size) + " arguments");
  if (a.ptr[0].type == msgpack::type::ARRAY)
    return FromArray(a.ptr[0].via.array);
  if (a.ptr[0].type == msgpack::type::MAP) return FromMap(a.ptr[0].via.map);
  BadArguments(std::string("got one ") + TypeName(a.ptr[0]));
}

using Thumbnailer = ThumbnailInfo (*)(const std::string& src,
                                      const std::string& dst, int size);

tq::worker::RawTask Task(Thumbnailer make) {
  return [make](std::string_view args, tq::worker::Output& out) {
    const Job job = ParseJob(args);
    msgpack::packer<tq::worker::Output> pk(out);
    pk.pack(make(job.src, job.dst, job.size));
  };
}

}  // namespace

TQ_PLUGIN(registry) {
  registry.add_raw("thumbnail", Task(tq::thumbnails::ThumbnailWithLibjpeg));
  registry.add_raw("thumbnail_libjpeg",
                   Task(tq::thumbnails::ThumbnailWithLibjpeg));
#ifdef TQ_THUMBNAILS_VIPS
  registry.add_raw("thumbnail_vips", Task(tq::thumbnails::ThumbnailWithVips));
#endif
}
