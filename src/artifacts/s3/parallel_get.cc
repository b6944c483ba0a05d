#include "artifacts/s3/parallel_get.h"

#include <algorithm>
#include <cstring>

namespace mlws::artifacts {

ParallelGetReader::ParallelGetReader(std::unique_ptr<BlobReader> first, std::int64_t size,
                                     FetchRange fetch, std::int64_t part_size, int workers)
    : first_(std::move(first)),
      size_(size),
      fetch_(std::move(fetch)),
      part_size_(std::max<std::int64_t>(part_size, 1)),
      parts_((size + part_size_ - 1) / part_size_),
      window_(std::max(workers, 1)) {
  int n = static_cast<int>(std::min<std::int64_t>(window_, parts_));
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { Work(); });
}

ParallelGetReader::~ParallelGetReader() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

StatusOr<std::string> ParallelGetReader::FetchPart(std::int64_t index) {
  std::int64_t offset = index * part_size_;
  std::int64_t length = std::min(part_size_, size_ - offset);
  if (index != 0) return fetch_(offset, length);
  // Part 0: the first `length` bytes of the whole-object stream already open.
  std::string out(static_cast<std::size_t>(length), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    ASSIGN_OR_RETURN(std::size_t n, first_->Read(out.data() + got, out.size() - got));
    if (n == 0) return Status(ErrorCode::kTemporarilyUnavailable, "the download broke off");
    got += n;
  }
  first_.reset();  // stops that transfer: the other parts come as ranges
  return out;
}

void ParallelGetReader::Work() {
  for (;;) {
    std::int64_t index;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] {
        return stop_ || !failed_.ok() || next_claim_ >= parts_ ||
               next_claim_ < next_read_ + window_;
      });
      if (stop_ || !failed_.ok() || next_claim_ >= parts_) return;
      index = next_claim_++;
    }
    StatusOr<std::string> part = FetchPart(index);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!part.ok()) {
        if (failed_.ok()) failed_ = part.status();
      } else if (static_cast<std::int64_t>(part->size()) !=
                 std::min(part_size_, size_ - index * part_size_)) {
        if (failed_.ok()) {
          failed_ = Status(ErrorCode::kTemporarilyUnavailable,
                           "a part of the download came back short (the blob changed?)");
        }
      } else {
        ready_[index] = std::move(*part);
      }
    }
    cv_.notify_all();
  }
}

StatusOr<std::size_t> ParallelGetReader::Read(char* buf, std::size_t cap) {
  std::unique_lock<std::mutex> lock(mu_);
  if (next_read_ >= parts_) return std::size_t{0};
  cv_.wait(lock, [&] { return !failed_.ok() || ready_.count(next_read_) > 0; });
  auto it = ready_.find(next_read_);
  if (it == ready_.end()) return failed_;
  std::size_t n = std::min(cap, it->second.size() - read_pos_);
  std::memcpy(buf, it->second.data() + read_pos_, n);
  read_pos_ += n;
  if (read_pos_ == it->second.size()) {
    ready_.erase(it);
    ++next_read_;
    read_pos_ = 0;
    lock.unlock();
    cv_.notify_all();  // a worker may claim the next part of the window
  }
  return n;
}

}  // namespace mlws::artifacts
