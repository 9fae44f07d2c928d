#pragma once
// The built admin panel (web/dist) served next to the API (docs/api.md "Static files"). No
// socket here: ApiServer hands every GET/HEAD outside /api/ to StaticFiles::serve, and the
// unit tests call it directly.
//
// Rules: exact files with their Content-Type; Vite's hashed /assets/* cached for a year
// (immutable), everything else "no-cache" (revalidated through ETag / Last-Modified, 304);
// a path with no dot in its last segment is a client-side route and gets index.html; a
// missing file with an extension is 404; "..", ".", backslashes, NUL and bad %-escapes are
// refused with 400, and a file whose canonical path leaves web_dir (a symlink) is never read.
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/api/http.hpp"

namespace gatehouse::api {

/// RFC 3986 2.1 percent-decoding. `plus_is_space`: '+' means ' ' (query strings, the
/// application/x-www-form-urlencoded convention). nullopt on a malformed escape ("%4", "%zz").
std::optional<std::string> percentDecode(std::string_view text, bool plus_is_space);

/// "text/html; charset=utf-8" for "index.html"; "application/octet-stream" when unknown.
std::string_view contentTypeFor(std::string_view file_name);

class StaticFiles {
  public:
    /// `web_dir` need not exist yet: until it holds index.html every page is a short HTML
    /// note that says how to build the panel.
    explicit StaticFiles(std::string web_dir);

    /// `method` is GET or HEAD; `raw_path` is the request target's path, still %-encoded,
    /// without the query; `headers` have lower-cased names (if-none-match, if-modified-since).
    /// HEAD answers carry the headers and an empty body.
    HttpResponse serve(std::string_view method, std::string_view raw_path,
                       const std::map<std::string, std::string>& headers) const;

    const std::string& webDir() const { return web_dir_; }

  private:
    HttpResponse notBuilt() const;
    HttpResponse file(const std::string& canonical, std::string_view url_path,
                      const std::map<std::string, std::string>& headers) const;
    /// The canonical path of `relative` under the root, or nullopt when it does not exist, is
    /// not a regular file or (through a symlink) lies outside the root.
    std::optional<std::string> resolve(const std::string& relative) const;

    std::string web_dir_;
};

}  // namespace gatehouse::api
