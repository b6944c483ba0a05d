// Run writes: create, update, lifecycle, log-batch (params, tags, metric chunks), inputs.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "mlws/common/ids.h"
#include "store/sqlite/metric_codec.h"
#include "store/sqlite/metric_compaction.h"
#include "store/sqlite/metric_rows_write.h"
#include "store/sqlite/pg_log_batch.h"
#include "store/sqlite/pg_run_rows.h"
#include "store/sqlite/run_insert_folded.h"
#include "store/sqlite/sqlite_store.h"

namespace mlws::store::sqlite {

using tracking::KeyValue;
using tracking::LifecycleStage;
using tracking::Metric;
using tracking::Run;
using tracking::RunInfo;

namespace {
constexpr const char* kRunNameTag = "mlflow.runName";
}

StatusOr<SqliteRunStore::RunRef> SqliteRunStore::ResolveRun(Db& db, std::int64_t workspace_id,
                                                            const std::string& run_id,
                                                            bool require_active) {
  ASSIGN_OR_RETURN(Stmt * s, db.Cached("SELECT rowid, experiment_rowid, lifecycle_stage FROM runs "
                                       "WHERE run_uuid = ? AND workspace_id = ?"));
  s->Bind(1, run_id).Bind(2, workspace_id);
  ASSIGN_OR_RETURN(bool row, s->Step());
  if (!row) return NotFound("Run with id=" + run_id + " not found");
  RunRef ref{s->Int(0), s->Int(1), s->TextView(2) == "active"};
  if (require_active && !ref.active) {
    return InvalidArgument("The run " + run_id +
                           " must be in the 'active' state. Current state is deleted.");
  }
  return ref;
}

Status SqliteRunStore::WriteRunTags(Db& db, std::int64_t run_rowid,
                                    const std::vector<KeyValue>& tags,
                                    const std::string* stored_name) {
  if (db.dialect() == Dialect::kPostgres && tags.size() > 1) {
    RETURN_IF_ERROR(UpsertTagsPg(db, run_rowid, tags));
    const KeyValue* named = nullptr;
    for (const auto& t : tags) {
      if (t.key == kRunNameTag) named = &t;
    }
    if (named == nullptr || (stored_name != nullptr && *stored_name == named->value)) {
      return Status::Ok();
    }
    ASSIGN_OR_RETURN(Stmt * n, db.Cached("UPDATE runs SET name = ? WHERE rowid = ?"));
    n->Bind(1, named->value).Bind(2, run_rowid);
    return n->Run();
  }
  for (const auto& t : tags) {
    ASSIGN_OR_RETURN(Stmt * s,
                     db.Cached("INSERT INTO tags (run_rowid, key, value) VALUES (?, ?, ?) "
                               "ON CONFLICT (run_rowid, key) DO UPDATE SET value = "
                               "excluded.value"));
    s->Bind(1, run_rowid).Bind(2, t.key).Bind(3, t.value);
    RETURN_IF_ERROR(s->Run());
    if (t.key == kRunNameTag && (stored_name == nullptr || *stored_name != t.value)) {
      // The run name and its tag are one fact; keep them in step as MLflow does.
      ASSIGN_OR_RETURN(Stmt * n, db.Cached("UPDATE runs SET name = ? WHERE rowid = ?"));
      n->Bind(1, t.value).Bind(2, run_rowid);
      RETURN_IF_ERROR(n->Run());
    }
  }
  return Status::Ok();
}

StatusOr<Run> SqliteRunStore::CreateRun(const NewRun& nr) {
  Run out;
  // The tags a run keeps: the last value of each key. Its stored name is its mlflow.runName
  // tag's when it has one (the name and the tag are one fact, as in MLflow).
  std::map<std::string, std::string> distinct;
  for (const auto& t : nr.tags) distinct[t.key] = t.value;
  std::vector<KeyValue> tags;
  for (auto& [k, v] : distinct) tags.push_back(KeyValue{k, v});
  auto named = distinct.find(kRunNameTag);
  const std::string& stored_name = named == distinct.end() ? nr.run_name : named->second;
  std::int64_t exp_num = 0;
  bool fold = tags.size() <= kMaxFoldedRunTags && ParseExperimentId(nr.experiment_id, &exp_num);
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    out.info.run_id = nr.run_id;
    out.info.run_name = nr.run_name;
    out.info.experiment_id = nr.experiment_id;
    out.info.user_id = nr.user_id;
    out.info.start_time = nr.start_time;
    out.tags = tags;
    if (fold && db.dialect() == Dialect::kPostgres) {
      ASSIGN_OR_RETURN(auto folded, InsertRunFolded(db, nr, exp_num, stored_name, tags));
      if (folded) {
        out.info.rowid = folded->rowid;
        out.info.artifact_uri = std::move(folded->artifact_uri);
        return Status::Ok();
      }
      // The experiment is missing or deleted: the lookup below says which.
    }
    ASSIGN_OR_RETURN(std::int64_t exp_rowid,
                     ResolveExperimentRowid(db, nr.workspace_id, nr.experiment_id));
    ASSIGN_OR_RETURN(Stmt * st, db.Cached("SELECT lifecycle_stage, artifact_location FROM "
                                          "experiments WHERE rowid = ?"));
    st->Bind(1, exp_rowid);
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (row && st->TextView(0) != "active") {
      return InvalidArgument("The experiment " + nr.experiment_id +
                             " must be in the 'active' state. Current state is deleted.");
    }
    std::string artifact_uri = nr.artifact_uri;
    if (artifact_uri.empty()) {
      std::string base = row ? st->Text(1) : "";
      while (!base.empty() && base.back() == '/') base.pop_back();
      artifact_uri = base + "/" + nr.run_id + "/artifacts";
    }
    ASSIGN_OR_RETURN(Stmt * ins,
                     db.Cached("INSERT INTO runs (run_uuid, workspace_id, "
                               "experiment_rowid, name, user_id, status, start_time, "
                               "artifact_uri) VALUES (?, ?, ?, ?, ?, 'RUNNING', ?, ?)"));
    ins->Bind(1, nr.run_id)
        .Bind(2, nr.workspace_id)
        .Bind(3, exp_rowid)
        .Bind(4, nr.run_name)
        .Bind(5, nr.user_id)
        .Bind(6, nr.start_time)
        .Bind(7, artifact_uri);
    RETURN_IF_ERROR(ins->Run());
    std::int64_t rowid = db.LastInsertRowid();
    RETURN_IF_ERROR(WriteRunTags(db, rowid, nr.tags, &nr.run_name));  // the name went in above
    // The new run is fully known here: build it instead of reading it back (the writer thread
    // is the bottleneck of create-run throughput).
    out.info.rowid = rowid;
    out.info.artifact_uri = artifact_uri;
    return Status::Ok();
  }));
  ctx_.NoteRunsCreated(1);
  return out;
}

StatusOr<RunInfo> SqliteRunStore::UpdateRun(std::int64_t workspace_id, const std::string& run_id,
                                            const RunUpdate& u) {
  RunInfo out;
  RETURN_IF_ERROR(writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(RunRef ref, ResolveRun(db, workspace_id, run_id, /*require_active=*/true));
    if (u.status) {
      ASSIGN_OR_RETURN(Stmt * s, db.Cached("UPDATE runs SET status = ? WHERE rowid = ?"));
      s->Bind(1, tracking::RunStatusName(*u.status)).Bind(2, ref.rowid);
      RETURN_IF_ERROR(s->Run());
    }
    if (u.end_time) {
      ASSIGN_OR_RETURN(Stmt * s, db.Cached("UPDATE runs SET end_time = ? WHERE rowid = ?"));
      s->Bind(1, *u.end_time).Bind(2, ref.rowid);
      RETURN_IF_ERROR(s->Run());
    }
    if (u.run_name) RETURN_IF_ERROR(WriteRunTags(db, ref.rowid, {{kRunNameTag, *u.run_name}}));
    ASSIGN_OR_RETURN(out, LoadRunInfo(db, ref.rowid));
    return Status::Ok();
  }));
  return out;
}

Status SqliteRunStore::SetRunLifecycle(std::int64_t workspace_id, const std::string& run_id,
                                       LifecycleStage stage) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(RunRef ref, ResolveRun(db, workspace_id, run_id, /*require_active=*/false));
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("UPDATE runs SET lifecycle_stage = ?, deleted_time = ? "
                                         "WHERE rowid = ?"));
    s->Bind(1, tracking::LifecycleName(stage)).Bind(3, ref.rowid);
    if (stage == LifecycleStage::kDeleted) {
      s->Bind(2, static_cast<std::int64_t>(NowMillis()));
    } else {
      s->BindNull(2);
    }
    return s->Run();
  });
}

Status SqliteRunStore::LogBatch(std::int64_t workspace_id, const std::string& run_id,
                                const std::vector<Metric>& metrics,
                                const std::vector<KeyValue>& params,
                                const std::vector<KeyValue>& tags) {
  // Group metrics by key outside the writer thread: the writer's time is the bottleneck. One
  // sort of pointers (stable: a key's points keep their request order), then one pass over
  // each key's run, rather than a map node and a key copy per key.
  struct KeyChunk {
    const std::string* key = nullptr;
    std::string blob;
    std::int64_t count = 0;
    const Metric* latest = nullptr;
  };
  std::vector<const Metric*> order(metrics.size());
  for (std::size_t i = 0; i < metrics.size(); ++i) order[i] = &metrics[i];
  std::stable_sort(order.begin(), order.end(),
                   [](const Metric* a, const Metric* b) { return a->key < b->key; });
  std::vector<KeyChunk> chunks;
  for (const Metric* m : order) {
    if (chunks.empty() || *chunks.back().key != m->key) {
      chunks.emplace_back();
      chunks.back().key = &m->key;
    }
    KeyChunk& c = chunks.back();
    EncodeMetricPoint(*m, c.blob);
    ++c.count;
    if (c.latest == nullptr || MetricIsLater(*m, *c.latest)) c.latest = m;
  }
  // Keys with few points share one multi-key chunk (metric_codec.h): one row for the request,
  // not one per key, which was most of the cost of a request with many keys. A multi-key chunk
  // of one key would only be larger: that key gets its own.
  std::vector<const KeyChunk*> own, shared;
  for (const auto& c : chunks) (c.count >= kOwnChunkPoints ? own : shared).push_back(&c);
  if (shared.size() == 1) {
    own.push_back(shared[0]);
    shared.clear();
  }
  // PostgreSQL: a batch of metrics with their own chunks only is written by one statement that
  // also finds the run (log-metric's whole cost); a batch with at most one chunk row, whatever
  // its params and tags, by another (pg_log_batch.h). Either is one round trip.
  const bool metrics_only = params.empty() && tags.empty() && shared.empty() && !own.empty() &&
                            own.size() <= static_cast<std::size_t>(kMaxRowsPerStatement);
  std::vector<KeyValue> distinct_tags;
  bool whole = own.size() + (shared.empty() ? 0 : 1) <= 1 && !metrics_only;
  if (whole) {
    std::map<std::string, std::string> last;
    for (const auto& t : tags) last[t.key] = t.value;
    whole = last.count(kRunNameTag) == 0;  // it also names the run: the general path below
    for (auto& [k, v] : last) distinct_tags.push_back(KeyValue{k, v});
  }
  return writes_.Submit([&](Db& db) -> Status {
    const bool pg = db.dialect() == Dialect::kPostgres;
    if (pg && metrics_only) {
      std::vector<MetricKeyRows> rows;
      for (const KeyChunk* c : own) {
        ASSIGN_OR_RETURN(std::int64_t key_id, MetricKeyId(db, *c->key));
        rows.push_back(MetricKeyRows{key_id, NextChunkSeq(), c->count, &c->blob, c->latest});
      }
      ASSIGN_OR_RETURN(bool written, WriteMetricKeyRowsOfActiveRun(db, workspace_id, run_id, rows));
      if (written) return Status::Ok();
      // Missing or not active: the lookup below says which.
    }
    std::vector<MetricKeyRows> own_rows, shared_rows;
    std::vector<MultiKeyPart> parts;
    for (const KeyChunk* c : own) {
      ASSIGN_OR_RETURN(std::int64_t key_id, MetricKeyId(db, *c->key));
      own_rows.push_back(MetricKeyRows{key_id, NextChunkSeq(), c->count, &c->blob, c->latest});
    }
    for (const KeyChunk* c : shared) {
      ASSIGN_OR_RETURN(std::int64_t key_id, MetricKeyId(db, *c->key));
      shared_rows.push_back(MetricKeyRows{key_id, 0, c->count, &c->blob, c->latest});
      parts.push_back(MultiKeyPart{key_id, c->count, &c->blob});
    }
    std::string multi_blob;
    MetricKeyRows multi{kMultiKeyChunk, 0, 0, &multi_blob, nullptr};
    if (!shared.empty()) {
      multi_blob = EncodeMultiKeyChunk(parts);
      for (const auto& p : parts) multi.count += p.count;
      multi.seq = NextChunkSeq();
    }
    if (pg && whole) {
      FoldedBatch fb;
      fb.workspace_id = workspace_id;
      fb.run_id = &run_id;
      fb.params = &params;
      fb.tags = &distinct_tags;
      if (!own_rows.empty()) fb.chunk = own_rows[0];
      if (!shared_rows.empty()) fb.chunk = multi;
      fb.latest = own_rows.empty() ? &shared_rows : &own_rows;
      ASSIGN_OR_RETURN(FoldedBatchResult r, WriteFoldedBatchPg(db, fb));
      if (r.run_rowid != 0) {
        if (!r.params_checked) RETURN_IF_ERROR(CheckParams(db, r.run_rowid, run_id, params));
        if (r.multi_key_chunks >= kCompactMultiKeyChunks) {
          RETURN_IF_ERROR(CompactMultiKeyChunks(db, r.run_rowid, NextChunkSeq()));
        }
        return Status::Ok();
      }
      // Missing or not active, nothing written: the lookup below says which.
    }
    ASSIGN_OR_RETURN(RunRef ref, ResolveRun(db, workspace_id, run_id, /*require_active=*/true));
    bool params_done = false;
    if (pg && !params.empty()) {
      ASSIGN_OR_RETURN(params_done, InsertParamsPg(db, ref.rowid, run_id, params));
    }
    if (!params_done) RETURN_IF_ERROR(CheckParams(db, ref.rowid, run_id, params));
    RETURN_IF_ERROR(WriteRunTags(db, ref.rowid, tags));
    RETURN_IF_ERROR(WriteMetricKeyRows(db, ref.rowid, own_rows));
    if (!shared_rows.empty()) {
      RETURN_IF_ERROR(WriteMetricChunkRows(db, ref.rowid, {multi}));
      RETURN_IF_ERROR(WriteLatestMetricRows(db, ref.rowid, shared_rows));
      RETURN_IF_ERROR(CompactMultiKeyChunks(db, ref.rowid, NextChunkSeq()));
    }
    return Status::Ok();
  });
}

Status SqliteRunStore::CheckParams(Db& db, std::int64_t run_rowid, const std::string& run_id,
                                   const std::vector<KeyValue>& params) {
  for (const KeyValue& p : params) {
    ASSIGN_OR_RETURN(Stmt * sel,
                     db.Cached("SELECT value FROM params WHERE run_rowid = ? AND key = ?"));
    sel->Bind(1, run_rowid).Bind(2, p.key);
    ASSIGN_OR_RETURN(bool exists, sel->Step());
    if (exists) {
      if (sel->TextView(0) != p.value) {
        return ParamValueChanged(p.key, sel->TextView(0), run_id, p.value);
      }
      continue;
    }
    ASSIGN_OR_RETURN(Stmt * ins,
                     db.Cached("INSERT INTO params (run_rowid, key, value) VALUES (?, ?, ?)"));
    ins->Bind(1, run_rowid).Bind(2, p.key).Bind(3, p.value);
    RETURN_IF_ERROR(ins->Run());
  }
  return Status::Ok();
}

Status SqliteRunStore::DeleteTag(std::int64_t workspace_id, const std::string& run_id,
                                 const std::string& key) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(RunRef ref, ResolveRun(db, workspace_id, run_id, /*require_active=*/true));
    ASSIGN_OR_RETURN(Stmt * s, db.Cached("DELETE FROM tags WHERE run_rowid = ? AND key = ?"));
    s->Bind(1, ref.rowid).Bind(2, key);
    RETURN_IF_ERROR(s->Run());
    if (db.Changes() == 0) {
      return NotFound(fmt::format("No tag with name: {} in run with id {}", key, run_id));
    }
    return Status::Ok();
  });
}

Status SqliteRunStore::LogInputs(std::int64_t workspace_id, const std::string& run_id,
                                 const std::vector<tracking::DatasetInput>& inputs) {
  return writes_.Submit([&](Db& db) -> Status {
    ASSIGN_OR_RETURN(RunRef ref, ResolveRun(db, workspace_id, run_id, /*require_active=*/true));
    for (const auto& in : inputs) {
      const auto& d = in.dataset;
      ASSIGN_OR_RETURN(Stmt * ins,
                       db.Cached("INSERT INTO datasets (experiment_rowid, name, digest, "
                                 "source_type, source, schema, profile) VALUES "
                                 "(?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"));
      ins->Bind(1, ref.experiment_rowid)
          .Bind(2, d.name)
          .Bind(3, d.digest)
          .Bind(4, d.source_type)
          .Bind(5, d.source)
          .Bind(6, d.schema)
          .Bind(7, d.profile);
      RETURN_IF_ERROR(ins->Run());
      ASSIGN_OR_RETURN(Stmt * sel,
                       db.Cached("SELECT rowid FROM datasets WHERE experiment_rowid = ? "
                                 "AND name = ? AND digest = ?"));
      sel->Bind(1, ref.experiment_rowid).Bind(2, d.name).Bind(3, d.digest);
      ASSIGN_OR_RETURN(bool row, sel->Step());
      if (!row) return Internal("dataset row vanished");
      std::int64_t ds = sel->Int(0);
      ASSIGN_OR_RETURN(Stmt * link, db.Cached("INSERT INTO run_inputs (run_rowid, dataset_rowid) "
                                              "VALUES (?, ?) ON CONFLICT DO NOTHING"));
      link->Bind(1, ref.rowid).Bind(2, ds);
      RETURN_IF_ERROR(link->Run());
      ASSIGN_OR_RETURN(Stmt * lid, db.Cached("SELECT rowid FROM run_inputs WHERE run_rowid = ? "
                                             "AND dataset_rowid = ?"));
      lid->Bind(1, ref.rowid).Bind(2, ds);
      ASSIGN_OR_RETURN(bool lrow, lid->Step());
      if (!lrow) return Internal("input row vanished");
      std::int64_t input_rowid = lid->Int(0);
      for (const auto& t : in.tags) {
        ASSIGN_OR_RETURN(Stmt * tag, db.Cached("INSERT OR REPLACE INTO input_tags (input_rowid, "
                                               "key, value) VALUES (?, ?, ?)"));
        tag->Bind(1, input_rowid).Bind(2, t.key).Bind(3, t.value);
        RETURN_IF_ERROR(tag->Run());
      }
    }
    return Status::Ok();
  });
}

}  // namespace mlws::store::sqlite
