// ParallelGetReader: reads a large blob as ranged GETs on a few threads at once and yields its
// bytes in order, so one download is not limited to one connection's speed (S3 servers, and
// S3Proxy on its filesystem backend, serve several ranges of one object faster than one
// stream). Internal to the S3 backend (src/artifacts/s3/).
//
// Memory is bounded: at most `workers` parts are held (fetched, or being fetched) at a time;
// a part is fetched only when it is within `workers` parts of the one the caller reads next.
// The first part comes from the already open whole-object GET (whose headers told the size);
// that stream is dropped after it. Errors: the first failed part's Status, returned by Read.
// One caller thread reads; the destructor stops and joins the workers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mlws/artifacts/blob_store.h"

namespace mlws::artifacts {

class ParallelGetReader final : public BlobReader {
 public:
  // One ranged GET of [offset, offset + length), whole, into memory.
  using FetchRange = std::function<StatusOr<std::string>(std::int64_t offset, std::int64_t length)>;
  ParallelGetReader(std::unique_ptr<BlobReader> first, std::int64_t size, FetchRange fetch,
                    std::int64_t part_size, int workers);
  ~ParallelGetReader() override;
  ParallelGetReader(const ParallelGetReader&) = delete;
  ParallelGetReader& operator=(const ParallelGetReader&) = delete;

  StatusOr<std::size_t> Read(char* buf, std::size_t cap) override;
  std::optional<std::int64_t> Size() const override { return size_; }

 private:
  void Work();
  StatusOr<std::string> FetchPart(std::int64_t index);

  std::unique_ptr<BlobReader> first_;  // only the worker that claims part 0 touches it
  const std::int64_t size_;
  const FetchRange fetch_;
  const std::int64_t part_size_;
  const std::int64_t parts_;
  const int window_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::int64_t next_claim_ = 0;                // GUARDED_BY(mu_)
  std::int64_t next_read_ = 0;                 // GUARDED_BY(mu_): the part Read() is in
  std::size_t read_pos_ = 0;                   // GUARDED_BY(mu_): offset in that part
  std::map<std::int64_t, std::string> ready_;  // GUARDED_BY(mu_)
  Status failed_ = Status::Ok();               // GUARDED_BY(mu_)
  bool stop_ = false;                          // GUARDED_BY(mu_)
  std::vector<std::thread> threads_;
};

}  // namespace mlws::artifacts
