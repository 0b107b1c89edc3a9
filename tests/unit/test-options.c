/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests for the CLI frame's pure parts: flag parsing (src/cli/options.c),
 * the --root helpers and the log line formats. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/options.h"
#include "log.h"
#include "rootdir.h"
#include "unit.h"
#include "util.h"

static const struct cli_flag flags[] = {
    {"bundle", 'b', "DIR", "bundle"},
    {"detach", 'd', NULL, "detach"},
    {"pid-file", CLI_LONG_ONLY(1), "FILE", "pid file"},
    {NULL, 0, NULL, NULL},
};
static const struct cli_command cmd = {
    .name = "create", .args = "<id>", .summary = "s", .flags = flags};

/* Parses argv (command name first) and records what was seen. */
struct seen {
    const char *bundle, *pid_file, *detach;
    int rc, optind;
    char *msg;
};

static struct seen parse(int argc, char **argv)
{
    struct ocirun_error err = {0, NULL};
    struct cli_parser p;
    struct seen s = {NULL, NULL, NULL, 0, 0, NULL};
    const char *value;
    int id;

    cli_parser_init(&p, &cmd, argc, argv);
    while ((s.rc = cli_next(&p, &id, &value, &err)) > 0) {
        if (id == 'b')
            s.bundle = value;
        else if (id == 'd')
            s.detach = value;
        else if (id == CLI_LONG_ONLY(1))
            s.pid_file = value;
    }
    s.optind = p.optind;
    s.msg = err.msg;
    return s;
}

#define PARSE(...)                                                                                 \
    ({                                                                                             \
        char *_argv[] = {"create", __VA_ARGS__, NULL};                                             \
        parse((int)ARRAY_SIZE(_argv) - 1, _argv);                                                  \
    })

static void test_spellings(void)
{
    const char *const forms[][3] = {
        {"--bundle", "/b", NULL},    {"-bundle", "/b", NULL},    {"-b", "/b", NULL},
        {"--bundle=/b", NULL, NULL}, {"-bundle=/b", NULL, NULL}, {"-b=/b", NULL, NULL},
    };
    for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
        char *argv[] = {"create", (char *)forms[i][0], (char *)forms[i][1], NULL};
        int argc = forms[i][1] ? 3 : 2;
        struct seen s = parse(argc, argv);
        UNIT_CHECK(s.rc == 0 && s.bundle && strcmp(s.bundle, "/b") == 0, "spelling %s%s%s",
                   forms[i][0], forms[i][1] ? " " : "", forms[i][1] ? forms[i][1] : "");
        free(s.msg);
    }
}

static void test_booleans(void)
{
    struct seen s = PARSE("-d", "id");
    UNIT_CHECK(s.detach && strcmp(s.detach, "true") == 0 && s.optind == 2, "-d is true");
    s = PARSE("--detach=false", "id");
    UNIT_CHECK(s.detach && strcmp(s.detach, "false") == 0, "--detach=false");
    UNIT_CHECK(!cli_is_true(s.detach), "cli_is_true(false)");
    s = PARSE("--detach=1");
    UNIT_CHECK(cli_is_true(s.detach), "--detach=1 is true (Go ParseBool)");
    s = PARSE("--detach=yes");
    UNIT_CHECK(s.rc < 0, "--detach=yes refused");
    UNIT_CHECK_CONTAINS(s.msg, "invalid boolean value \"yes\" for -detach: parse error",
                        "bad boolean wording");
    free(s.msg);
}

static void test_errors(void)
{
    struct seen s = PARSE("--nope", "id");
    UNIT_CHECK(s.rc < 0, "unknown flag refused");
    UNIT_CHECK_CONTAINS(s.msg, "flag provided but not defined: -nope", "unknown flag wording");
    free(s.msg);
    s = PARSE("-bd");
    UNIT_CHECK_CONTAINS(s.msg, "flag provided but not defined: -bd", "short flags not combined");
    free(s.msg);
    s = PARSE("--pid-file");
    UNIT_CHECK_CONTAINS(s.msg, "flag needs an argument: -pid-file", "missing value wording");
    free(s.msg);
    s = PARSE("---x");
    UNIT_CHECK_CONTAINS(s.msg, "bad flag syntax: ---x", "three dashes");
    free(s.msg);
}

static void test_positionals(void)
{
    struct seen s = PARSE("-b", "/b", "id", "--pid-file", "x");
    UNIT_CHECK(s.rc == 0 && s.optind == 3 && s.pid_file == NULL,
               "parsing stops at the first argument");
    s = PARSE("--", "-d");
    UNIT_CHECK(s.rc == 0 && s.optind == 2 && s.detach == NULL, "`--` ends the flags");
    s = PARSE("-", "x");
    UNIT_CHECK(s.rc == 0 && s.optind == 1, "a lone `-` is an argument");
    s = PARSE("--pid-file", "--detach");
    UNIT_CHECK(s.pid_file && strcmp(s.pid_file, "--detach") == 0 && s.detach == NULL,
               "a value may start with a dash");
}

static void test_help(void)
{
    struct ocirun_error err = {0, NULL};
    char *argv[] = {"create", "-h", "--nope", NULL};
    struct cli_parser p;
    const char *value;
    int id, saved = dup(STDOUT_FILENO), devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

    fflush(stdout);
    dup2(devnull, STDOUT_FILENO);
    cli_parser_init(&p, &cmd, 3, argv);
    int rc = cli_next(&p, &id, &value, &err);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    close(devnull);
    UNIT_CHECK(rc == 0 && p.help_shown && err.msg == NULL, "-h shows help and stops");
}

static void test_nargs_and_ids(void)
{
    struct ocirun_error err = {0, NULL};
    char *argv[] = {"state", "a", "b", NULL};
    struct cli_command state = {.name = "state", .summary = "s"};
    struct cli_parser p;
    const char *id = NULL;

    cli_parser_init(&p, &state, 3, argv);
    UNIT_CHECK(cli_container_id(&p, &id, &err) < 0, "two arguments refused");
    UNIT_CHECK_CONTAINS(err.msg, "ocirun: \"state\" requires exactly 1 argument(s)", "exact");
    UNIT_CHECK(cli_check_nargs(&p, 3, CLI_MIN, &err) < 0, "min 3 refused");
    UNIT_CHECK_CONTAINS(err.msg, "requires a minimum of 3 argument(s)", "min wording");
    UNIT_CHECK(cli_check_nargs(&p, 1, CLI_MAX, &err) < 0, "max 1 refused");
    UNIT_CHECK_CONTAINS(err.msg, "requires a maximum of 1 argument(s)", "max wording");
    UNIT_CHECK(cli_check_nargs(&p, 2, CLI_EXACT, &err) == 0, "exactly 2 accepted");
    error_clear(&err);

    const char *good[] = {"a", "A-b_c.d+e", "...", "x1"};
    const char *bad[] = {"", ".", "..", "a/b", "a b", "a\n", "\xc3\xa9", "a:b"};
    for (size_t i = 0; i < ARRAY_SIZE(good); i++)
        UNIT_CHECK(cli_validate_id(good[i], &err) == 0, "id `%s` valid", good[i]);
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        UNIT_CHECK(cli_validate_id(bad[i], &err) < 0, "id #%zu invalid", i);
        UNIT_CHECK_CONTAINS(err.msg, "invalid container ID format", "id wording");
    }
    char long_id[1026];
    memset(long_id, 'a', sizeof(long_id) - 1);
    long_id[1025] = '\0';
    UNIT_CHECK(cli_validate_id(long_id, &err) < 0, "1025-byte id refused");
    long_id[1024] = '\0';
    UNIT_CHECK(cli_validate_id(long_id, &err) == 0, "1024-byte id accepted");
    error_clear(&err);
}

static void test_rootdir(void)
{
    struct ocirun_error err = {0, NULL};
    char *out = NULL;

    UNIT_CHECK(rootdir_absolute("/x/y", &out, &err) == 0 && strcmp(out, "/x/y") == 0,
               "absolute --root kept");
    free(out);
    UNIT_CHECK(rootdir_absolute("rel", &out, &err) == 0 && out[0] == '/' &&
                   strcmp(out + strlen(out) - 4, "/rel") == 0,
               "relative --root made absolute");
    free(out);
    UNIT_CHECK(rootdir_absolute("", &out, &err) < 0, "empty --root refused");
    error_clear(&err);
    if (geteuid() == 0) {
        UNIT_CHECK(rootdir_default(&out, &err) == 0 && strcmp(out, "/run/ocirun") == 0,
                   "root's default is /run/ocirun");
        free(out);
    }
}

/* Writes one line through the logger in the given format and returns it. */
static char *log_line(const char *format, const char *msg)
{
    char path[] = "/tmp/ocirun-test-log-XXXXXX";
    char *data = NULL, *lerr = NULL;
    size_t len = 0;
    int fd = mkstemp(path);

    close(fd);
    if (log_init(path, format, "error", &lerr) < 0) {
        free(lerr);
        unlink(path);
        return NULL;
    }
    log_error("%s", msg);
    log_close();
    (void)read_file_at(AT_FDCWD, path, &data, &len, NULL);
    unlink(path);
    return data;
}

static void test_log_formats(void)
{
    char *msg = NULL;
    /* quote, backslash, newline, control, invalid byte, valid 2-byte,
     * truncated 3-byte sequence, surrogate encoded in UTF-8 */
    const char *in = "q\"b\\n\nc\x01x\xff"
                     "\xc3\xa9"
                     "\xe2\x82"
                     "\xed\xa0\x80";
    char *json = log_line("json", in);
    char *text = log_line("text", in);

    UNIT_CHECK_CONTAINS(json,
                        "{\"level\":\"error\",\"msg\":\"q\\\"b\\\\n\\nc\\u0001x\xef\xbf\xbd"
                        "\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\","
                        "\"time\":\"",
                        "json escaping");
    UNIT_CHECK(json && strlen(json) > 4 && strcmp(json + strlen(json) - 4, "Z\"}\n") == 0,
               "json line ends with the time and a newline");
    UNIT_CHECK_CONTAINS(text, "level=error msg=\"q\\\"b\\\\n\\nc\\x01x\\xff\xc3\xa9\\xe2\\x82",
                        "text escaping");
    UNIT_CHECK(text && strncmp(text, "time=\"", 6) == 0, "text line starts with time");
    free(json);
    free(text);
    UNIT_CHECK(log_init(NULL, "xml", NULL, &msg) < 0, "bad format refused");
    UNIT_CHECK_CONTAINS(msg, "invalid log-format: xml", "format wording");
    free(msg);
    UNIT_CHECK(log_init(NULL, "text", "verbose", &msg) < 0, "bad level refused");
    UNIT_CHECK_CONTAINS(msg, "invalid log-level: verbose", "level wording");
    free(msg);
}

int main(void)
{
    test_spellings();
    test_booleans();
    test_errors();
    test_positionals();
    test_help();
    test_nargs_and_ids();
    test_rootdir();
    test_log_formats();
    return unit_finish();
}
