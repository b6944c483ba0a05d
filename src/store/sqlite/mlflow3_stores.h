// The SQLite implementations of the MLflow 3 stores (logged models, v3 traces). They share the
// SqliteStore's write queue and reader pool, so their writes group-commit with everything else.
#pragma once

#include <optional>
#include <vector>

#include "mlws/store/document_store.h"
#include "mlws/store/logged_model_store.h"
#include "mlws/store/trace_v3_store.h"
#include "store/sqlite/reader_pool.h"
#include "store/sqlite/write_queue.h"

namespace mlws::store::sqlite {

class SqliteLoggedModelStore final : public LoggedModelStore {
 public:
  SqliteLoggedModelStore(WriteQueue& writes, ReaderPool& readers)
      : writes_(writes), readers_(readers) {}
  Status CreateLoggedModel(std::int64_t workspace_id, const LoggedModelRecord& m) override;
  StatusOr<LoggedModelRecord> GetLoggedModel(std::int64_t workspace_id, const std::string& model_id,
                                             bool allow_deleted) override;
  StatusOr<LoggedModelRecord> UpdateLoggedModel(std::int64_t workspace_id,
                                                const std::string& model_id,
                                                const Mutator& fn) override;
  StatusOr<std::vector<LoggedModelRecord>> ListLoggedModels(
      std::int64_t workspace_id, const std::vector<std::string>& experiment_ids) override;
  Status LinkRunModels(std::int64_t workspace_id, const std::string& run_id,
                       const std::vector<RunModelLink>& links) override;
  StatusOr<std::vector<RunModelLink>> RunModelLinks(std::int64_t workspace_id,
                                                    const std::string& run_id) override;

 private:
  WriteQueue& writes_;
  ReaderPool& readers_;
};

class SqliteTraceV3Store final : public TraceV3Store {
 public:
  SqliteTraceV3Store(WriteQueue& writes, ReaderPool& readers)
      : writes_(writes), readers_(readers) {}
  Status PutTrace(std::int64_t workspace_id, const TraceV3Record& t) override;
  StatusOr<TraceV3Record> GetTrace(std::int64_t workspace_id, const std::string& trace_id) override;
  StatusOr<TraceV3Record> UpdateTrace(std::int64_t workspace_id, const std::string& trace_id,
                                      const Mutator& fn) override;
  StatusOr<std::vector<TraceV3Record>> ListTraces(
      std::int64_t workspace_id, const std::vector<std::string>& experiment_ids) override;
  StatusOr<std::int64_t> DeleteTraces(std::int64_t workspace_id, const std::string& experiment_id,
                                      const std::vector<std::string>& trace_ids,
                                      std::optional<std::int64_t> max_timestamp_millis,
                                      std::optional<std::int64_t> max_traces) override;

 private:
  WriteQueue& writes_;
  ReaderPool& readers_;
};

// One table of documents; `what` names the resource in NotFound messages ("Webhook").
// The SQL is built once here: Cached() keys statements by the text's address.
class SqliteDocumentStore final : public DocumentStore {
 public:
  SqliteDocumentStore(WriteQueue& writes, ReaderPool& readers, std::string table, std::string what);
  Status Put(std::int64_t workspace_id, const DocumentRecord& d) override;
  StatusOr<DocumentRecord> Get(std::int64_t workspace_id, const std::string& id) override;
  StatusOr<std::vector<DocumentRecord>> List(std::int64_t workspace_id) override;
  Status Delete(std::int64_t workspace_id, const std::string& id) override;
  Status Update(std::int64_t workspace_id, const std::string& id, const Mutation& mutate) override;

  // The writer-side halves, for Atomically (sql_tx.cc); `db` is the writer's connection inside
  // a write task. LockRow takes the document's key lock (key_lock.h) before reading it.
  StatusOr<std::optional<DocumentRecord>> LockRow(Db& db, std::int64_t workspace_id,
                                                  const std::string& id);
  StatusOr<std::vector<DocumentRecord>> ListRows(Db& db, std::int64_t workspace_id);
  Status PutRow(Db& db, std::int64_t workspace_id, const DocumentRecord& d);
  Status DeleteRow(Db& db, std::int64_t workspace_id, const std::string& id);

 private:
  Status NoSuch(const std::string& id) const;
  WriteQueue& writes_;
  ReaderPool& readers_;
  std::string table_;
  std::string what_;
  std::string put_sql_, get_sql_, list_sql_, delete_sql_, update_sql_;
};

// Shared by the logged-model and trace stores: the experiment's rowid in the workspace, NotFound
// with MLflow's message.
StatusOr<std::int64_t> ExperimentRowid(Db& db, std::int64_t workspace_id,
                                       const std::string& experiment_id);

}  // namespace mlws::store::sqlite
