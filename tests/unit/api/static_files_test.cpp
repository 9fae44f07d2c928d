// The built panel's files (core/api/static_files.*), without a socket: types, cache headers,
// the SPA fallback, conditional requests and every traversal trick we know of.
#include "core/api/static_files.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace gatehouse::api {
namespace {

namespace fs = std::filesystem;

std::string headerOf(const HttpResponse& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
        if (k == name)
            return v;
    return "<none>";
}

void writeFile(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

// base/
//   outside-secret.txt       (must never be served)
//   dist/index.html, favicon.ico, app.webmanifest, .env, assets/app-1a2b.js, assets/app.css,
//        assets/logo.svg, assets/font.woff2, assets/app-1a2b.js.map, link-out.txt -> ../secret
class StaticFilesTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "gh-static-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        base_ = tmpl;
        dist_ = base_ / "dist";
        writeFile(base_ / "outside-secret.txt", "SECRET");
        writeFile(dist_ / "index.html", "<!doctype html><div id=app></div>");
        writeFile(dist_ / "favicon.ico", "ICO");
        writeFile(dist_ / "app.webmanifest", "{}");
        writeFile(dist_ / ".env", "SECRET");
        writeFile(dist_ / "assets" / "app-1a2b.js", "console.log(1)");
        writeFile(dist_ / "assets" / "app.css", "body{}");
        writeFile(dist_ / "assets" / "logo.svg", "<svg/>");
        writeFile(dist_ / "assets" / "font.woff2", "wOF2");
        writeFile(dist_ / "assets" / "app-1a2b.js.map", "{}");
        fs::create_symlink(base_ / "outside-secret.txt", dist_ / "link-out.txt");
    }
    void TearDown() override { fs::remove_all(base_); }

    HttpResponse get(std::string_view path, std::map<std::string, std::string> headers = {}) {
        return StaticFiles(dist_.string()).serve("GET", path, headers);
    }

    fs::path base_;
    fs::path dist_;
};

TEST_F(StaticFilesTest, RootIsIndexHtmlRevalidatedEveryTime) {
    const HttpResponse r = get("/");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "<!doctype html><div id=app></div>");
    EXPECT_EQ(headerOf(r, "Content-Type"), "text/html; charset=utf-8");
    EXPECT_EQ(headerOf(r, "Cache-Control"), "no-cache");
}

TEST_F(StaticFilesTest, HashedAssetIsImmutableForAYear) {
    const HttpResponse r = get("/assets/app-1a2b.js");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "console.log(1)");
    EXPECT_EQ(headerOf(r, "Content-Type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(headerOf(r, "Cache-Control"), "public, max-age=31536000, immutable");
}

TEST_F(StaticFilesTest, FilesOutsideAssetsAreRevalidated) {
    const HttpResponse r = get("/favicon.ico");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(headerOf(r, "Content-Type"), "image/x-icon");
    EXPECT_EQ(headerOf(r, "Cache-Control"), "no-cache");
}

TEST_F(StaticFilesTest, EachKnownExtensionHasItsContentType) {
    EXPECT_EQ(headerOf(get("/assets/app.css"), "Content-Type"), "text/css; charset=utf-8");
    EXPECT_EQ(headerOf(get("/assets/logo.svg"), "Content-Type"), "image/svg+xml");
    EXPECT_EQ(headerOf(get("/assets/font.woff2"), "Content-Type"), "font/woff2");
    EXPECT_EQ(headerOf(get("/assets/app-1a2b.js.map"), "Content-Type"), "application/json");
    EXPECT_EQ(headerOf(get("/app.webmanifest"), "Content-Type"), "application/manifest+json");
    EXPECT_EQ(contentTypeFor("a.PNG"), "image/png");
    EXPECT_EQ(contentTypeFor("data.json"), "application/json");
    EXPECT_EQ(contentTypeFor("README"), "application/octet-stream");
    EXPECT_EQ(contentTypeFor("x.exe"), "application/octet-stream");
}

TEST_F(StaticFilesTest, ClientSideRouteGetsIndexHtml) {
    for (const char* route : {"/nas/7", "/subscribers", "/nas/7/", "/assets"}) {
        SCOPED_TRACE(route);
        const HttpResponse r = get(route);
        EXPECT_EQ(r.status, 200);
        EXPECT_EQ(r.body, "<!doctype html><div id=app></div>");
        EXPECT_EQ(headerOf(r, "Cache-Control"), "no-cache");
    }
}

TEST_F(StaticFilesTest, MissingFileWithAnExtensionIs404) {
    const HttpResponse r = get("/assets/gone-9f9f.js");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body,
              R"({"error":{"code":"not_found","message":"no such file: /assets/gone-9f9f.js",)"
              R"("status":404}})");
}

TEST_F(StaticFilesTest, TraversalAttemptsAreRefusedWith400) {
    for (const char* path : {
             "/../outside-secret.txt",
             "/assets/../../outside-secret.txt",
             "/%2e%2e/outside-secret.txt",
             "/%2E%2E%2Foutside-secret.txt",
             "/assets/..%2f..%2foutside-secret.txt",
             "/.%2e/outside-secret.txt",
             "/..\\outside-secret.txt",
             "/%5c..%5coutside-secret.txt",
             "/index.html%00.js",
             "/./index.html",
             "/%zz",
             "/%2",
             "outside-secret.txt",
         }) {
        SCOPED_TRACE(path);
        const HttpResponse r = get(path);
        EXPECT_EQ(r.status, 400);
        EXPECT_EQ(r.body.find("SECRET"), std::string::npos);
        EXPECT_NE(r.body.find(R"("field":"path")"), std::string::npos) << r.body;
    }
}

TEST_F(StaticFilesTest, DoubleEncodingIsDecodedOnceOnly) {
    // "%252e%252e" is the literal name "%2e%2e": no such file, and nothing is read outside.
    const HttpResponse r = get("/%252e%252e/outside-secret.txt");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body.find("SECRET"), std::string::npos);
}

TEST_F(StaticFilesTest, SymlinkLeavingWebDirIsNotFollowed) {
    const HttpResponse r = get("/link-out.txt");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body.find("SECRET"), std::string::npos);
}

TEST_F(StaticFilesTest, DotfilesAreNeverServed) {
    const HttpResponse r = get("/.env");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body.find("SECRET"), std::string::npos);
}

TEST_F(StaticFilesTest, MatchingETagAnswers304WithoutBody) {
    const HttpResponse first = get("/assets/app-1a2b.js");
    const std::string etag = headerOf(first, "ETag");
    ASSERT_EQ(etag.front(), '"');
    const HttpResponse again = get("/assets/app-1a2b.js", {{"if-none-match", "\"x\", " + etag}});
    EXPECT_EQ(again.status, 304);
    EXPECT_EQ(again.body, "");
    EXPECT_EQ(headerOf(again, "ETag"), etag);
    EXPECT_EQ(headerOf(again, "Cache-Control"), "public, max-age=31536000, immutable");
    EXPECT_EQ(get("/assets/app-1a2b.js", {{"if-none-match", "\"other\""}}).status, 200);
}

TEST_F(StaticFilesTest, IfModifiedSinceAnswers304UnlessTheFileIsNewer) {
    const std::string last_modified = headerOf(get("/"), "Last-Modified");
    ASSERT_TRUE(last_modified.ends_with(" GMT")) << last_modified;
    EXPECT_EQ(get("/", {{"if-modified-since", last_modified}}).status, 304);
    EXPECT_EQ(get("/", {{"if-modified-since", "Thu, 01 Jan 1970 00:00:00 GMT"}}).status, 200);
    EXPECT_EQ(get("/", {{"if-modified-since", "yesterday"}}).status, 200);
    // If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
    EXPECT_EQ(
        get("/", {{"if-modified-since", last_modified}, {"if-none-match", "\"other\""}}).status,
        200);
}

TEST_F(StaticFilesTest, HeadHasTheHeadersAndNoBody) {
    const HttpResponse r = StaticFiles(dist_.string()).serve("HEAD", "/assets/app.css", {});
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "");
    EXPECT_EQ(headerOf(r, "Content-Type"), "text/css; charset=utf-8");
}

TEST_F(StaticFilesTest, PanelNotBuiltPageSaysHowToBuildIt) {
    const HttpResponse r = StaticFiles((base_ / "no-dist").string()).serve("GET", "/nas/7", {});
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(headerOf(r, "Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(r.body.find("npm --prefix web ci &amp;&amp; npm --prefix web run build"),
              std::string::npos);
    // Traversal is still refused before anything else.
    EXPECT_EQ(StaticFiles((base_ / "no-dist").string()).serve("GET", "/../x", {}).status, 400);
}

TEST(PercentDecode, DecodesEscapesAndPlusOnlyWhenAsked) {
    EXPECT_EQ(percentDecode("a%20b+c%2F", false), "a b+c/");
    EXPECT_EQ(percentDecode("a%20b+c%2f", true), "a b c/");
    EXPECT_EQ(percentDecode("", true), "");
    EXPECT_EQ(percentDecode("%4", false), std::nullopt);
    EXPECT_EQ(percentDecode("%g0", false), std::nullopt);
    EXPECT_EQ(percentDecode("100%", false), std::nullopt);
}

}  // namespace
}  // namespace gatehouse::api
