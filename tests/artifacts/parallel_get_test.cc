// ParallelGetReader: bytes in order whatever order the parts finish in, bounded parts in
// flight, the first part from the open stream, errors passed on, and early destruction.
#include "artifacts/s3/parallel_get.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

namespace mlws::artifacts {
namespace {

std::string Pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 13) % 26);
  return s;
}

std::string Drain(BlobReader& r, std::size_t chunk) {
  std::string out, buf(chunk, '\0');
  for (;;) {
    auto n = r.Read(buf.data(), buf.size());
    EXPECT_TRUE(n.ok()) << n.status().message();
    if (!n.ok() || *n == 0) return out;
    out.append(buf.data(), *n);
  }
}

TEST(ParallelGetReaderTest, YieldsTheBytesInOrderWithBoundedPartsInFlight) {
  const std::string data = Pattern(1000);
  std::atomic<int> in_flight{0}, max_in_flight{0}, fetched{0};
  auto fetch = [&](std::int64_t off, std::int64_t len) -> StatusOr<std::string> {
    int now = ++in_flight;
    int prev = max_in_flight.load();
    while (now > prev && !max_in_flight.compare_exchange_weak(prev, now)) {
    }
    // Later parts finish first now and then: order must come from the reader.
    std::this_thread::sleep_for(std::chrono::microseconds((off / 64) % 3 == 0 ? 300 : 0));
    --in_flight;
    ++fetched;
    return data.substr(static_cast<std::size_t>(off), static_cast<std::size_t>(len));
  };
  ParallelGetReader r(StringReader(data), static_cast<std::int64_t>(data.size()), fetch, 64, 3);
  EXPECT_EQ(r.Size(), 1000);
  EXPECT_EQ(Drain(r, 37), data);
  EXPECT_LE(max_in_flight.load(), 3);
  EXPECT_EQ(fetched.load(), 15);  // 16 parts, the first from the open stream
}

TEST(ParallelGetReaderTest, AFailedPartIsTheReadError) {
  const std::string data = Pattern(500);
  auto fetch = [&](std::int64_t off, std::int64_t len) -> StatusOr<std::string> {
    if (off == 200) return Status(ErrorCode::kTemporarilyUnavailable, "part 2 failed");
    return data.substr(static_cast<std::size_t>(off), static_cast<std::size_t>(len));
  };
  ParallelGetReader r(StringReader(data), 500, fetch, 100, 2);
  std::string buf(100, '\0'), got;
  Status last = Status::Ok();
  for (;;) {
    auto n = r.Read(buf.data(), buf.size());
    if (!n.ok()) {
      last = n.status();
      break;
    }
    if (*n == 0) break;
    got.append(buf.data(), *n);
  }
  EXPECT_EQ(last.code(), ErrorCode::kTemporarilyUnavailable);
  EXPECT_NE(last.message().find("part 2 failed"), std::string::npos);
  EXPECT_EQ(got, data.substr(0, got.size()));
  EXPECT_LE(got.size(), 200u);
}

TEST(ParallelGetReaderTest, AShortPartOrStreamIsAnError) {
  const std::string data = Pattern(300);
  auto short_fetch = [&](std::int64_t off, std::int64_t len) -> StatusOr<std::string> {
    return data.substr(static_cast<std::size_t>(off), static_cast<std::size_t>(len - 1));
  };
  ParallelGetReader r(StringReader(data), 300, short_fetch, 100, 2);
  std::string buf(300, '\0');
  StatusOr<std::size_t> n = std::size_t{1};
  while (n.ok() && *n > 0) n = r.Read(buf.data(), buf.size());
  EXPECT_FALSE(n.ok());
  // The open stream ends before the first part does.
  auto fetch = [&](std::int64_t off, std::int64_t len) -> StatusOr<std::string> {
    return data.substr(static_cast<std::size_t>(off), static_cast<std::size_t>(len));
  };
  ParallelGetReader cut(StringReader(data.substr(0, 50)), 300, fetch, 100, 2);
  n = std::size_t{1};
  while (n.ok() && *n > 0) n = cut.Read(buf.data(), buf.size());
  EXPECT_FALSE(n.ok());
}

TEST(ParallelGetReaderTest, DestroyedBeforeTheEndStopsItsWorkers) {
  const std::string data = Pattern(10000);
  auto fetch = [&](std::int64_t off, std::int64_t len) -> StatusOr<std::string> {
    return data.substr(static_cast<std::size_t>(off), static_cast<std::size_t>(len));
  };
  auto r = std::make_unique<ParallelGetReader>(StringReader(data), 10000, fetch, 100, 4);
  char buf[10];
  ASSERT_TRUE(r->Read(buf, sizeof buf).ok());
  r.reset();  // joins: would hang or crash if a worker were left waiting
}

}  // namespace
}  // namespace mlws::artifacts
