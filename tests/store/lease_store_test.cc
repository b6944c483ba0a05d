// LeaseStore (migrations 16, 17, 18) with two stores on one database, as two servers are: a claim
// is won by exactly one, leases expire and renew, new jobs are leased in their own transaction, and
// the metric writer's key ids and chunk numbers are safe with two writers; compute instance
// requests (migration 19) recorded through one are taken through the other, none lost. Runs on
// SQLite and on PostgreSQL (store_backends.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "mlws/common/ids.h"
#include "mlws/store/compute_instance_requests.h"
#include "mlws/store/metadata_store.h"
#include "store_backends.h"

namespace mlws::store {
namespace {

class LeaseStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("mlws-lease-" + NewRunId());
    std::filesystem::create_directories(dir_);
    if (GetParam() == "postgres" && !testing::PgCluster::Get().base_uri()) {
      GTEST_SKIP() << "PostgreSQL half skipped: " << testing::PgCluster::Get().why_not();
    }
    std::string uri = testing::FreshStoreUri(GetParam(), dir_);
    ASSERT_FALSE(uri.empty());
    for (auto* s : {&a_, &b_}) {
      auto opened = OpenMetadataStore(uri);
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      *s = std::move(*opened);
      auto v = (*s)->Migrate();
      ASSERT_TRUE(v.ok()) << v.status().ToString();
    }
    auto w = a_->workspaces().CreateWorkspace("w", "");
    ASSERT_TRUE(w.ok());
    ws_ = w->id;
  }
  void TearDown() override {
    a_.reset();
    b_.reset();
    std::filesystem::remove_all(dir_);
  }
  jobs::Job NewJob(const std::string& name) {
    jobs::Job j;
    j.workspace_id = ws_;
    j.name = name;
    j.compute = "local";
    j.spec_json = "{}";
    j.status = jobs::JobStatus::kQueued;
    j.created_at = 1;
    return j;
  }

  std::filesystem::path dir_;
  std::unique_ptr<MetadataStore> a_, b_;
  std::int64_t ws_ = 0;
};

INSTANTIATE_TEST_SUITE_P(Backends, LeaseStoreTest, ::testing::Values("sqlite", "postgres"),
                         testing::BackendName);

TEST_P(LeaseStoreTest, OneOfTwoServersWinsAClaimUntilItsLeaseExpires) {
  std::vector<LeaseKey> key = {{ws_, "j1"}};
  auto first = a_->leases().Claim(key, "h:1:1", 1000, 2000, "");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE((*first)[0]);
  auto second = b_->leases().Claim(key, "h:2:1", 1500, 2500, "");
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE((*second)[0]) << "a live lease was taken";
  // The holder may claim again (before it starts the job).
  EXPECT_TRUE((*a_->leases().Claim(key, "h:1:1", 1600, 2600, ""))[0]);
  // Expired: the other server takes it, and then it is the other's.
  EXPECT_TRUE((*b_->leases().Claim(key, "h:2:1", 2700, 3700, ""))[0]);
  EXPECT_FALSE((*a_->leases().Claim(key, "h:1:1", 2800, 3800, ""))[0]);
  auto lease = a_->leases().GetLease(ws_, "j1");
  ASSERT_TRUE(lease.ok() && lease->has_value());
  EXPECT_EQ((*lease)->server_id, "h:2:1");
  EXPECT_EQ((*lease)->expires_at, 3700);
  // A server known to be dead loses its lease before it expires.
  EXPECT_TRUE((*a_->leases().Claim(key, "h:1:1", 2900, 3900, "h:2:1"))[0]);
}

TEST_P(LeaseStoreTest, NewJobsAreLeasedToTheirServerAndRenewedTogether) {
  a_->leases().SetLeaseHolder("h:1:1", 60000);
  ASSERT_TRUE(a_->jobs().CreateJob(NewJob("j1")).ok());
  ASSERT_TRUE(a_->jobs().CreateJob(NewJob("j2")).ok());
  auto lease = b_->leases().GetLease(ws_, "j1");
  ASSERT_TRUE(lease.ok() && lease->has_value());
  EXPECT_EQ((*lease)->server_id, "h:1:1");
  // Not claimable while live; claimable once the holder is named dead.
  auto now = (*lease)->expires_at - 30000;
  EXPECT_TRUE(b_->leases().Claimable("h:2:1", now, {}, 10)->empty());
  EXPECT_EQ(b_->leases().Claimable("h:2:1", now, {"h:1:1"}, 10)->size(), 2u);
  // One renewal extends both; an ended job's lease goes with it.
  jobs::Job done = NewJob("j2");
  done.status = jobs::JobStatus::kCompleted;
  ASSERT_TRUE(a_->jobs().UpdateJobs({done}).ok());
  auto held = a_->leases().Renew("h:1:1", now, now + 999999);
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_EQ(*held, 1);
  EXPECT_EQ((*a_->leases().GetLease(ws_, "j1"))->expires_at, now + 999999);
  EXPECT_FALSE(a_->leases().GetLease(ws_, "j2")->has_value());
  ASSERT_TRUE(a_->leases().Release({{ws_, "j1"}}, "h:9:9").ok());  // not its lease: kept
  EXPECT_TRUE(a_->leases().GetLease(ws_, "j1")->has_value());
  ASSERT_TRUE(a_->leases().Release({{ws_, "j1"}}, "h:1:1").ok());
  EXPECT_FALSE(a_->leases().GetLease(ws_, "j1")->has_value());
}

TEST_P(LeaseStoreTest, ServersRegisterAndGo) {
  ASSERT_TRUE(a_->leases().RegisterServer({"h:1:5", "h", 1, 5, 6, ""}).ok());
  ASSERT_TRUE(b_->leases().RegisterServer({"h:2:7", "h", 2, 7, 8, ""}).ok());
  auto list = a_->leases().ListServers();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, "h:1:5");
  ASSERT_TRUE(b_->leases().RemoveServer("h:1:5").ok());
  EXPECT_EQ(a_->leases().ListServers()->size(), 1u);
}

TEST_P(LeaseStoreTest, ACancelAskedOfAnotherServerWaitsForTheLeaseHolder) {
  LeaseStore* ra = &a_->leases();
  LeaseStore* rb = &b_->leases();
  ASSERT_TRUE(ra->KeepsCancelRequests() && rb->KeepsCancelRequests());
  a_->leases().SetLeaseHolder("h:1:1", 60000);
  ASSERT_TRUE(a_->jobs().CreateJob(NewJob("j1")).ok());
  ASSERT_TRUE(a_->jobs().CreateJob(NewJob("j2")).ok());
  // Server B asks; the job shows it at once, and only its holder A sees the request.
  auto asked = rb->RequestCancel(ws_, "j1", "h:2:1", 100);
  ASSERT_TRUE(asked.ok()) << asked.status().ToString();
  EXPECT_TRUE(*asked);
  EXPECT_TRUE(*rb->RequestCancel(ws_, "j1", "h:2:1", 200));  // twice: one request
  EXPECT_TRUE(a_->jobs().GetJob(ws_, "j1")->cancel_requested);
  EXPECT_FALSE(a_->jobs().GetJob(ws_, "j2")->cancel_requested);
  auto mine = ra->CancelRequestsFor("h:1:1");
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  ASSERT_EQ(mine->size(), 1u);
  EXPECT_EQ((*mine)[0].name, "j1");
  EXPECT_TRUE(rb->CancelRequestsFor("h:2:1")->empty());
  // The server that takes the lease over sees the request.
  ASSERT_TRUE((*b_->leases().Claim({{ws_, "j1"}}, "h:2:1", 1, 99999999999999, "h:1:1"))[0]);
  EXPECT_TRUE(ra->CancelRequestsFor("h:1:1")->empty());
  EXPECT_EQ(rb->CancelRequestsFor("h:2:1")->size(), 1u);
  EXPECT_EQ((*mine)[0].workspace, "w");
  ASSERT_TRUE(rb->DropCancelRequests({{ws_, "j1"}}).ok());
  EXPECT_TRUE(rb->CancelRequestsFor("h:2:1")->empty());
  // A job that ended gets no request; one that ended after it was asked loses it on renewal.
  jobs::Job done = NewJob("j2");
  done.status = jobs::JobStatus::kCompleted;
  ASSERT_TRUE(a_->jobs().UpdateJobs({done}).ok());
  EXPECT_FALSE(*rb->RequestCancel(ws_, "j2", "h:2:1", 300));
  EXPECT_FALSE(a_->jobs().GetJob(ws_, "j2")->cancel_requested);
  EXPECT_FALSE(*rb->RequestCancel(ws_, "nope", "h:2:1", 300));
  ASSERT_TRUE(rb->RequestCancel(ws_, "j1", "h:2:1", 400).ok());
  jobs::Job ended = NewJob("j1");
  ended.status = jobs::JobStatus::kCanceled;
  ASSERT_TRUE(a_->jobs().UpdateJobs({ended}).ok());
  ASSERT_TRUE(b_->leases().Renew("h:2:1", 3, 99999999999999).ok());
  // (The renewal dropped the ended job's lease; claimed again, it shows no request.)
  ASSERT_TRUE((*b_->leases().Claim({{ws_, "j1"}}, "h:2:1", 4, 99999999999999, ""))[0]);
  EXPECT_TRUE(rb->CancelRequestsFor("h:2:1")->empty());
}

TEST_P(LeaseStoreTest, TwoWritersInternTheSameKeysAndNeverCollideOnChunks) {
  NewRun nr = testing::TestNewRun(ws_);
  ASSERT_TRUE(a_->runs().CreateRun(nr).ok());
  auto log = [&](MetadataStore* s, int offset) {
    for (int i = 0; i < 30; ++i) {
      Status st = s->runs().LogBatch(
          ws_, nr.run_id, {{"k" + std::to_string(i % 5), 1.0 * i, 10, offset + i}}, {}, {});
      EXPECT_TRUE(st.ok()) << st.ToString();
    }
  };
  std::thread ta(log, a_.get(), 0), tb(log, b_.get(), 1000);
  ta.join();
  tb.join();
  size_t points = 0;
  for (int k = 0; k < 5; ++k) {
    auto h = b_->runs().GetMetricHistory({ws_, nr.run_id, "k" + std::to_string(k)});
    ASSERT_TRUE(h.ok()) << h.status().ToString();
    points += h->size();
  }
  EXPECT_EQ(points, 60u);
}

// Migration 18: online deployment and compute instance leases, one kind apart from the other.
TEST_P(LeaseStoreTest, ResourceLeasesAreHeldByOneServerUntilTheyExpireOrItDies) {
  LeaseStore* a = &a_->leases();
  LeaseStore* b = &b_->leases();
  ASSERT_TRUE(a->KeepsResourceLeases() && b->KeepsResourceLeases());
  const std::string kDep = "deployment";
  EXPECT_TRUE(*a->ClaimResource(kDep, ws_, "ep/blue", "h:1:1", 1000, 2000, ""));
  EXPECT_FALSE(*b->ClaimResource(kDep, ws_, "ep/blue", "h:2:1", 1500, 2500, ""));
  EXPECT_TRUE(*a->ClaimResource(kDep, ws_, "ep/blue", "h:1:1", 1600, 2600, ""));  // its own
  auto held = b->GetResourceLease(kDep, ws_, "ep/blue");
  ASSERT_TRUE(held.ok() && *held);
  EXPECT_EQ((*held)->server_id, "h:1:1");
  EXPECT_EQ((*held)->expires_at, 2600);
  // The same name of another kind is another lease.
  EXPECT_TRUE(*b->ClaimResource("compute_instance", ws_, "ep/blue", "h:2:1", 1700, 2700, ""));
  // Renewal extends only the holder's leases.
  ASSERT_TRUE(a->RenewResources("h:1:1", 9000).ok());
  EXPECT_EQ((*a->GetResourceLease(kDep, ws_, "ep/blue"))->expires_at, 9000);
  EXPECT_EQ((*a->GetResourceLease("compute_instance", ws_, "ep/blue"))->expires_at, 2700);
  // A holder seen dead loses it before expiry; after expiry anyone wins.
  EXPECT_TRUE(*b->ClaimResource(kDep, ws_, "ep/blue", "h:2:1", 3000, 4000, "h:1:1"));
  EXPECT_FALSE(*a->ClaimResource(kDep, ws_, "ep/blue", "h:1:1", 3500, 4500, ""));
  EXPECT_TRUE(*a->ClaimResource(kDep, ws_, "ep/blue", "h:1:1", 4100, 5100, ""));
  // Only the holder releases.
  ASSERT_TRUE(b->ReleaseResource(kDep, ws_, "ep/blue", "h:2:1").ok());
  EXPECT_TRUE(a->GetResourceLease(kDep, ws_, "ep/blue")->has_value());
  ASSERT_TRUE(a->ReleaseResource(kDep, ws_, "ep/blue", "h:1:1").ok());
  EXPECT_FALSE(a->GetResourceLease(kDep, ws_, "ep/blue")->has_value());
}

using nlohmann::json;

// Appends `action` to compute instance ci1's request (migration 19), as a non-owner does.
Status AskInstance(MetadataStore& s, std::int64_t ws, const std::string& action) {
  DocumentStore* r = ComputeInstanceRequestsOf(s);
  Status st = r->Update(ws, "ci1", [&](const DocumentRecord& cur) -> StatusOr<std::string> {
    json doc = json::parse(cur.doc);
    doc["actions"].push_back(action);
    return doc.dump();
  });
  if (st.code() != ErrorCode::kResourceDoesNotExist) return st;
  return r->Put(ws, {"ci1", 1, json{{"actions", json::array({action})}}.dump()});
}

TEST_P(LeaseStoreTest, AComputeInstanceRequestThroughOneServerIsTakenByTheOther) {
  ASSERT_NE(ComputeInstanceRequestsOf(*a_), nullptr);
  ASSERT_TRUE(AskInstance(*a_, ws_, "stop").ok());
  ASSERT_TRUE(AskInstance(*a_, ws_, "start").ok());
  auto listed = ComputeInstanceRequestsOf(*b_)->List(ws_);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(json::parse((*listed)[0].doc)["actions"], json({"stop", "start"}));

  // The holder takes them while the other server records one more: whichever write lands
  // first, the take (a conditional write, repeated on a conflict) and the request left behind
  // hold all three, each once.
  json taken;
  std::thread other;
  Status st = ComputeInstanceRequestsOf(*b_)->Update(
      ws_, "ci1", [&](const DocumentRecord& cur) -> StatusOr<std::string> {
        if (!other.joinable())
          other = std::thread([&] { EXPECT_TRUE(AskInstance(*a_, ws_, "delete").ok()); });
        taken = json::parse(cur.doc)["actions"];
        return json{{"actions", json::array()}}.dump();
      });
  other.join();
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto left = ComputeInstanceRequestsOf(*a_)->Get(ws_, "ci1");
  ASSERT_TRUE(left.ok());
  json all = taken;
  json rest = json::parse(left->doc);
  for (const auto& x : rest["actions"]) all.push_back(x);
  EXPECT_EQ(all, json({"stop", "start", "delete"})) << "taken " << taken.dump();

  // Dropped with the instance; a workspace's requests are only its own.
  ASSERT_TRUE(ComputeInstanceRequestsOf(*b_)->Delete(ws_, "ci1").ok());
  auto gone = ComputeInstanceRequestsOf(*a_)->List(ws_);
  ASSERT_TRUE(gone.ok());
  EXPECT_TRUE(gone->empty());
}

}  // namespace
}  // namespace mlws::store
