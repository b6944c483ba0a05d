// The few pieces of S3's XML responses mlws reads (listings, upload ids, errors). A tolerant
// tag scanner, not a general XML parser: S3 responses are flat and machine-written.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mlws::artifacts::s3xml {

// The text of every <tag>...</tag> element directly found in `xml` (in document order),
// entity-decoded.
std::vector<std::string> All(std::string_view xml, std::string_view tag);
// The raw inner XML of every <tag> element (for nested records such as <Contents>).
std::vector<std::string_view> Blocks(std::string_view xml, std::string_view tag);
// The first element's text, or "" when absent.
std::string First(std::string_view xml, std::string_view tag);
// &amp; &lt; &gt; &quot; &apos; and numeric references.
std::string Unescape(std::string_view s);
std::string Escape(std::string_view s);

}  // namespace mlws::artifacts::s3xml
