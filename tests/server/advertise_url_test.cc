#include "server/advertise_url.h"

#include <gtest/gtest.h>

namespace mlws::server {
namespace {

TEST(AdvertiseUrl, AcceptsHostPortAndPathAndDropsTheTrailingSlash) {
  EXPECT_EQ(*CheckAdvertiseUrl("http://host-a:5000"), "http://host-a:5000");
  EXPECT_EQ(*CheckAdvertiseUrl("https://mlws.example.com/"), "https://mlws.example.com");
  EXPECT_EQ(*CheckAdvertiseUrl("https://proxy.example.com/mlws/"),
            "https://proxy.example.com/mlws");
  EXPECT_EQ(*CheckAdvertiseUrl("http://[fd00::1]:5000"), "http://[fd00::1]:5000");
}

TEST(AdvertiseUrl, RefusesWhatOtherServersCouldNotUse) {
  for (const char* bad :
       {"host-a:5000", "ftp://host-a", "http://", "http://:5000", "http://u:secret@host-a:5000",
        "http://host-a:0", "http://host-a:99999", "http://host-a:50x0", "http://host a:5000",
        "http://host-a:5000/?x=1", "http://host-a:5000/#top"}) {
    auto r = CheckAdvertiseUrl(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("--advertise-url"), std::string::npos) << bad;
  }
  // Credentials are named as the reason and never echoed.
  std::string m = CheckAdvertiseUrl("http://u:s3cret@h").status().message();
  EXPECT_NE(m.find("no user or password"), std::string::npos);
  EXPECT_EQ(m.find("s3cret"), std::string::npos);
}

TEST(AdvertiseUrl, ServerUrlNamesTheGivenHostForAWildcardAddress) {
  EXPECT_EQ(ServerUrl(false, "0.0.0.0", 5000, "host-a"), "http://host-a:5000");
  EXPECT_EQ(ServerUrl(true, "::", 443, "host-a"), "https://host-a:443");
  EXPECT_EQ(ServerUrl(false, "", 5000, "127.0.0.1"), "http://127.0.0.1:5000");
  EXPECT_EQ(ServerUrl(false, "10.0.0.7", 5001, "host-a"), "http://10.0.0.7:5001");
  EXPECT_EQ(ServerUrl(false, "fd00::1", 5000, "host-a"), "http://[fd00::1]:5000");
}

}  // namespace
}  // namespace mlws::server
