#include "core/api/static_files.hpp"
#include "core/util/hex.hpp"

#include <fmt/core.h>
#include <sys/stat.h>

#include <cctype>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

namespace gatehouse::api {

namespace fs = std::filesystem;

namespace {

// Vite writes content-hashed names under assets/: a changed file is a new URL, so a year is
// safe (RFC 8246: "immutable" also spares the revalidation on reload).
constexpr const char* kImmutable = "public, max-age=31536000, immutable";
// index.html names the current hashed assets: always revalidated (RFC 9111 5.2.2.4).
constexpr const char* kRevalidate = "no-cache";
// The panel is small; a larger file under web_dir is a mistake, not something to buffer.
constexpr uintmax_t kMaxFileSize = 64u << 20;

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::vector<std::string_view> segmentsOf(std::string_view path) {
    std::vector<std::string_view> out;
    size_t pos = 0;
    while (pos <= path.size()) {
        const size_t slash = path.find('/', pos);
        const size_t stop = slash == std::string_view::npos ? path.size() : slash;
        if (stop > pos)
            out.push_back(path.substr(pos, stop - pos));
        if (slash == std::string_view::npos)
            break;
        pos = slash + 1;
    }
    return out;
}

HttpResponse badPath(const std::string& message) {
    return errorResponse(ApiError::invalid("path", message));
}

HttpResponse notFound(std::string_view path) {
    return errorResponse(ApiError::notFound(fmt::format("no such file: {}", path)));
}

std::string httpDate(std::time_t t) {
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    // RFC 9110 5.6.7 IMF-fixdate; strftime's %a/%b are English in the "C" locale we run in.
    const size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    return std::string(buf, n);
}

std::optional<std::time_t> parseHttpDate(const std::string& text) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (end == nullptr || *end != '\0')
        return std::nullopt;
    return timegm(&tm);
}

// RFC 9110 13.1.2: If-None-Match is a list of entity tags (or "*"), compared weakly.
bool etagMatches(std::string_view header, std::string_view etag) {
    while (!header.empty()) {
        const size_t comma = header.find(',');
        std::string_view tag = header.substr(0, comma);
        while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t'))
            tag.remove_prefix(1);
        while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t'))
            tag.remove_suffix(1);
        if (tag.starts_with("W/"))
            tag.remove_prefix(2);
        if (tag == "*" || tag == etag)
            return true;
        if (comma == std::string_view::npos)
            break;
        header.remove_prefix(comma + 1);
    }
    return false;
}

std::string headerOr(const std::map<std::string, std::string>& headers, const char* name) {
    auto it = headers.find(name);
    return it == headers.end() ? std::string{} : it->second;
}

}  // namespace

std::optional<std::string> percentDecode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            if (text.size() - i < 3)
                return std::nullopt;
            const int hi = hexDigitValue(text[i + 1]);
            const int lo = hexDigitValue(text[i + 2]);
            if (hi < 0 || lo < 0)
                return std::nullopt;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out;
}

std::string_view contentTypeFor(std::string_view file_name) {
    const size_t dot = file_name.rfind('.');
    if (dot == std::string_view::npos)
        return "application/octet-stream";
    const std::string ext = lower(file_name.substr(dot + 1));
    static const std::map<std::string, std::string_view, std::less<>> kTypes = {
        {"html", "text/html; charset=utf-8"},
        {"js", "text/javascript; charset=utf-8"},
        {"mjs", "text/javascript; charset=utf-8"},
        {"css", "text/css; charset=utf-8"},
        {"svg", "image/svg+xml"},
        {"png", "image/png"},
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"webp", "image/webp"},
        {"ico", "image/x-icon"},
        {"json", "application/json"},
        {"map", "application/json"},
        {"webmanifest", "application/manifest+json"},
        {"woff2", "font/woff2"},
        {"woff", "font/woff"},
        {"txt", "text/plain; charset=utf-8"},
    };
    auto it = kTypes.find(ext);
    return it == kTypes.end() ? std::string_view("application/octet-stream") : it->second;
}

StaticFiles::StaticFiles(std::string web_dir) : web_dir_(std::move(web_dir)) {}

std::optional<std::string> StaticFiles::resolve(const std::string& relative) const {
    std::error_code ec;
    // Canonical on every call: the panel may be built (or web_dir replaced) while we run.
    const fs::path root = fs::canonical(web_dir_, ec);
    if (ec)
        return std::nullopt;
    const fs::path target = fs::canonical(root / relative, ec);
    if (ec)
        return std::nullopt;
    // The syntax checks already refused "..": this catches a symlink that points outside.
    const std::string root_s = root.string();
    const std::string target_s = target.string();
    if (target_s.size() <= root_s.size() || target_s.compare(0, root_s.size(), root_s) != 0 ||
        (root_s.back() != '/' && target_s[root_s.size()] != '/'))
        return std::nullopt;
    if (!fs::is_regular_file(target, ec) || ec)
        return std::nullopt;
    return target_s;
}

HttpResponse StaticFiles::notBuilt() const {
    HttpResponse r;
    r.status = 503;
    r.body = fmt::format(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Gatehouse</title></head>"
        "<body><h1>The admin panel is not built</h1>\n<p>The API is running (<a "
        "href=\"/api/v1/health\">/api/v1/health</a>), but <code>{}</code> holds no "
        "<code>index.html</code>. Build the panel from the source tree:</p>\n"
        "<pre>npm --prefix web ci &amp;&amp; npm --prefix web run build</pre>\n"
        "<p>or point <code>web_dir</code> at a built copy (docs/api.md).</p></body></html>\n",
        web_dir_);
    r.headers.emplace_back("Content-Type", "text/html; charset=utf-8");
    r.headers.emplace_back("Cache-Control", "no-store");
    return r;
}

HttpResponse StaticFiles::file(const std::string& canonical, std::string_view url_path,
                               const std::map<std::string, std::string>& headers) const {
    struct stat st {};
    if (::stat(canonical.c_str(), &st) != 0 || static_cast<uintmax_t>(st.st_size) > kMaxFileSize)
        return notFound(url_path);
    const std::string etag = fmt::format("\"{:x}-{:x}\"", static_cast<uintmax_t>(st.st_size),
                                         static_cast<uint64_t>(st.st_mtim.tv_sec) * 1000000000u +
                                             static_cast<uint64_t>(st.st_mtim.tv_nsec));
    const std::string last_modified = httpDate(st.st_mtim.tv_sec);
    const bool immutable = url_path.starts_with("/assets/");

    HttpResponse r;
    r.headers.emplace_back("ETag", etag);
    r.headers.emplace_back("Last-Modified", last_modified);
    r.headers.emplace_back("Cache-Control", immutable ? kImmutable : kRevalidate);

    // RFC 9110 13.2.2: If-None-Match wins; If-Modified-Since only counts without it.
    const std::string inm = headerOr(headers, "if-none-match");
    bool not_modified = false;
    if (!inm.empty()) {
        not_modified = etagMatches(inm, etag);
    } else if (const std::string ims = headerOr(headers, "if-modified-since"); !ims.empty()) {
        const auto since = parseHttpDate(ims);
        not_modified = since && st.st_mtim.tv_sec <= *since;
    }
    if (not_modified) {
        r.status = 304;
        return r;
    }

    std::ifstream in(canonical, std::ios::binary);
    if (!in)
        return notFound(url_path);
    r.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    r.status = 200;
    const size_t slash = canonical.rfind('/');
    r.headers.emplace_back(
        "Content-Type", std::string(contentTypeFor(std::string_view(canonical).substr(slash + 1))));
    return r;
}

HttpResponse StaticFiles::serve(std::string_view method, std::string_view raw_path,
                                const std::map<std::string, std::string>& headers) const {
    HttpResponse r = [&]() -> HttpResponse {
        if (raw_path.empty() || raw_path.front() != '/')
            return badPath("must start with /");
        // Backslashes are refused before and after decoding: some servers and browsers read
        // them as separators, so "..\" would be a way around the segment check below.
        if (raw_path.find('\\') != std::string_view::npos)
            return badPath("backslash in path");
        const auto decoded = percentDecode(raw_path, false);
        if (!decoded)
            return badPath("malformed %-escape");
        const std::string& path = *decoded;
        if (path.find('\0') != std::string::npos)
            return badPath("NUL in path");
        if (path.find('\\') != std::string::npos)
            return badPath("backslash in path");
        const auto segments = segmentsOf(path);
        for (std::string_view s : segments)
            if (s == "." || s == "..")
                return badPath("\".\" and \"..\" segments are not allowed");

        const std::optional<std::string> index = resolve("index.html");
        if (!index)
            return notBuilt();

        std::string relative;
        for (std::string_view s : segments) {
            // Dotfiles (.env, .git) are never part of a build: not served, whatever is there.
            if (s.front() == '.')
                return notFound(path);
            relative += (relative.empty() ? "" : "/") + std::string(s);
        }
        if (!relative.empty()) {
            if (auto found = resolve(relative))
                return file(*found, path, headers);
            // A client-side route (/nas/7) has no dot in its last segment; a file name does.
            if (segments.back().find('.') != std::string_view::npos)
                return notFound(path);
        }
        return file(*index, "/index.html", headers);
    }();
    if (method == "HEAD")
        r.body.clear();
    return r;
}

}  // namespace gatehouse::api
