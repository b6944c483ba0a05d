// Tx: the reads and writes a service combines into one atomic read-modify-write, through
// MetadataStore::Atomically.
//
// The guarantee: everything `fn` does through its Tx runs inside one writer transaction, and the
// rows it Lock...()ed stay locked until that transaction commits. So no other write to those rows
// interleaves between the read and the write — not another thread of this server (its writes go
// through the same writer), and not another server on the same database:
//   - SQLite: the writer holds the database's write lock (BEGIN IMMEDIATE) for the whole group,
//     so other processes on the file wait;
//   - PostgreSQL: Lock...() reads with SELECT ... FOR NO KEY UPDATE, so a second server's
//     Lock...() of the same row waits for this transaction to commit and then reads what it
//     wrote (the default READ COMMITTED isolation: each statement sees the latest commit). Two
//     servers locking two rows in opposite orders can deadlock; PostgreSQL then aborts one and
//     Atomically returns TemporarilyUnavailable (HTTP 503, Retry-After) for it.
// If `fn` returns an error, all of its writes are rolled back (its own savepoint) and that error
// is Atomically's result; nothing else in the group commit is affected.
//
// Contract for `fn`: it runs on the store's writer thread, so it must be short, must only use
// the Tx it is given (calling the MetadataStore itself from inside would deadlock), and must not
// keep the Tx after it returns. It runs exactly once.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "mlws/assets/asset.h"
#include "mlws/assets/entities.h"
#include "mlws/common/status.h"
#include "mlws/store/document_store.h"
#include "mlws/tracking/entities.h"

namespace mlws::store {

// The document collections (metadata_store.h) a transaction reads and writes.
enum class Documents { kBatchEndpoints, kBatchDeployments, kQuotas };

class Tx {
 public:
  virtual ~Tx() = default;

  // Runs: the run (info, params, tags, latest metrics), locked until commit. NotFound if absent;
  // InvalidArgument if deleted (as a write to it would be).
  virtual StatusOr<tracking::Run> LockRun(std::int64_t workspace_id, const std::string& run_id) = 0;
  // Sets (inserts or overwrites) the run's tags.
  virtual Status SetRunTags(std::int64_t workspace_id, const std::string& run_id,
                            const std::vector<tracking::KeyValue>& tags) = 0;

  // Versioned assets: the asset version, locked until commit. NotFound if absent.
  virtual StatusOr<assets::Asset> LockAsset(std::int64_t workspace_id, assets::AssetKind kind,
                                            const std::string& name,
                                            const std::string& version) = 0;
  // Writes the asset version's mutable fields (description, tags, archived, updated_at).
  virtual StatusOr<assets::Asset> UpdateAsset(std::int64_t workspace_id,
                                              const assets::Asset& a) = 0;
  // AssetStore::CreateAsset inside the transaction: the name's next seq (and version, when `a`
  // has none) is chosen with the name locked until commit.
  virtual StatusOr<assets::Asset> CreateAsset(std::int64_t workspace_id,
                                              const assets::Asset& a) = 0;
  // RegistryStore::CreateModelVersion inside the transaction: the registered model stays
  // locked until commit, so versions are numbered in commit order.
  virtual StatusOr<assets::ModelVersion> CreateModelVersion(std::int64_t workspace_id,
                                                            const assets::ModelVersion& v) = 0;

  // Documents: the document `id` of `which`, locked until commit whether or not it exists (so
  // "create unless present" is atomic too); nullopt when absent. Lock an endpoint before its
  // deployments.
  virtual StatusOr<std::optional<DocumentRecord>> LockDocument(Documents which,
                                                               std::int64_t workspace_id,
                                                               const std::string& id) = 0;
  // The workspace's documents of `which`, oldest first (not locked).
  virtual StatusOr<std::vector<DocumentRecord>> ListDocuments(Documents which,
                                                              std::int64_t workspace_id) = 0;
  // Inserts or replaces.
  virtual Status PutDocument(Documents which, std::int64_t workspace_id,
                             const DocumentRecord& d) = 0;
  // NotFound when absent.
  virtual Status DeleteDocument(Documents which, std::int64_t workspace_id,
                                const std::string& id) = 0;
};

using TxFn = std::function<Status(Tx&)>;

}  // namespace mlws::store
