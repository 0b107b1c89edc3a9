/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Unit tests of the pure parts of lsm.c: label checks, validation against
 * a host mask, the mount context option, and the exec_process_prepare
 * label rules of exec. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "lsm.h"
#include "ocispec.h"
#include "unit.h"

static struct oci_process *process(const char *json)
{
    struct oci_process *p = NULL;
    char *err = NULL;

    if (oci_process_parse_data(json, strlen(json), &p, &err) < 0) {
        printf("# parse: %s\n", err);
        free(err);
        return NULL;
    }
    return p;
}

static void test_check_label(void)
{
    struct ocirun_error err = {0};
    char *big = malloc(5000);

    UNIT_CHECK(lsm_check_label("f", "system_u:system_r:container_t:s0:c1,c2", &err) == 0,
               "a SELinux label with a category list is accepted");
    UNIT_CHECK(lsm_check_label("f", "", &err) < 0, "an empty label is refused");
    UNIT_CHECK_CONTAINS(err.msg, "f: empty label", "the message names the field");
    error_clear(&err);
    UNIT_CHECK(lsm_check_label("f", "a\nexec unconfined", &err) < 0,
               "a newline (a second attr command) is refused");
    UNIT_CHECK_CONTAINS(err.msg, "0x0a", "the message names the character");
    error_clear(&err);
    memset(big, 'a', 4999);
    big[4999] = '\0';
    UNIT_CHECK(lsm_check_label("f", big, &err) < 0, "a label over a page is refused");
    UNIT_CHECK_CONTAINS(err.msg, "4999 bytes", "the message gives the length");
    error_clear(&err);
    big[4095] = '\0';
    UNIT_CHECK(lsm_check_label("f", big, &err) == 0, "4095 bytes are accepted");
    free(big);
}

static void test_validate(void)
{
    struct ocirun_error err = {0};
    struct oci_process *aa = process("{\"args\":[\"x\"],\"cwd\":\"/\",\"apparmorProfile\":\"p\"}");
    struct oci_process *se = process("{\"args\":[\"x\"],\"cwd\":\"/\",\"selinuxLabel\":\"l\"}");
    struct oci_process *none = process("{\"args\":[\"x\"],\"cwd\":\"/\",\"apparmorProfile\":\"\"}");

    UNIT_CHECK(lsm_validate(aa, NULL, 0, &err) < 0, "apparmorProfile without AppArmor fails");
    UNIT_CHECK_CONTAINS(err.msg, "process.apparmorProfile `p`: AppArmor is not supported",
                        "the message names the field and the reason");
    error_clear(&err);
    UNIT_CHECK(lsm_validate(aa, NULL, LSM_SELINUX, &err) < 0,
               "apparmorProfile on a SELinux-only host fails");
    error_clear(&err);
    UNIT_CHECK(lsm_validate(aa, NULL, LSM_APPARMOR, &err) == 0, "apparmorProfile with AppArmor");
    UNIT_CHECK(lsm_validate(se, NULL, 0, &err) < 0, "selinuxLabel without SELinux fails");
    UNIT_CHECK_CONTAINS(err.msg, "SELinux is not supported", "the SELinux message");
    error_clear(&err);
    UNIT_CHECK(lsm_validate(se, NULL, LSM_SELINUX, &err) == 0, "selinuxLabel with SELinux");
    UNIT_CHECK(lsm_validate(none, NULL, 0, &err) == 0, "an empty profile means none");
    UNIT_CHECK(lsm_validate(NULL, "system_u:object_r:container_file_t:s0", 0, &err) == 0,
               "mountLabel without SELinux: ignored (a warning)");
    UNIT_CHECK(
        lsm_validate(NULL, "system_u:object_r:container_file_t:s0:c1,c2", LSM_SELINUX, &err) == 0,
        "a category list (commas) in mountLabel is fine: the value is quoted");
    UNIT_CHECK(lsm_validate(NULL, "a\",nosuid", LSM_SELINUX, &err) < 0,
               "a quote in mountLabel (ends the quoted value) is refused");
    error_clear(&err);
    oci_process_free(aa);
    oci_process_free(se);
    oci_process_free(none);
}

static void test_mount_data(void)
{
    const char *l = "system_u:object_r:container_file_t:s0:c1";
    char *d;

    d = lsm_mount_data("mode=755", l, "tmpfs", LSM_SELINUX);
    UNIT_CHECK(d && strcmp(d, "mode=755,context=\"system_u:object_r:container_file_t:s0:c1\"") == 0,
               "tmpfs data gets context= appended");
    free(d);
    d = lsm_mount_data(NULL, l, "devpts", LSM_SELINUX);
    UNIT_CHECK(d && strcmp(d, "context=\"system_u:object_r:container_file_t:s0:c1\"") == 0,
               "no data: context= alone");
    free(d);
    UNIT_CHECK(lsm_mount_data("mode=755", l, "tmpfs", 0) == NULL, "no SELinux: data unchanged");
    UNIT_CHECK(lsm_mount_data("mode=755", l, "tmpfs", LSM_APPARMOR) == NULL,
               "AppArmor only: data unchanged");
    UNIT_CHECK(lsm_mount_data(NULL, l, "proc", LSM_SELINUX) == NULL, "proc takes no context");
    UNIT_CHECK(lsm_mount_data(NULL, l, "sysfs", LSM_SELINUX) == NULL, "sysfs takes no context");
    UNIT_CHECK(lsm_mount_data(NULL, l, NULL, LSM_SELINUX) == NULL, "no type: unchanged");
    UNIT_CHECK(lsm_mount_data("context=\"x\"", l, "tmpfs", LSM_SELINUX) == NULL,
               "the mount's own context= wins");
    UNIT_CHECK(lsm_mount_data("x", NULL, "tmpfs", LSM_SELINUX) == NULL, "no label: unchanged");
}

static void test_exec_labels(void)
{
    struct exec_request req = {.apparmor = "docker-default"};
    struct ocirun_error err = {0};
    struct oci_process *p = process("{\"args\":[\"x\"],\"cwd\":\"/\"}");
    char *args[] = {"/bin/true"};

    req.args = args;
    req.args_len = 1;
    UNIT_CHECK(exec_process_prepare(p, &req, NULL, 0, &err) < 0,
               "exec --apparmor without AppArmor fails");
    UNIT_CHECK_CONTAINS(err.msg, "AppArmor is not supported", "exec's message");
    error_clear(&err);
    oci_process_free(p);
    p = process("{\"args\":[\"x\"],\"cwd\":\"/\"}");
    UNIT_CHECK(exec_process_prepare(p, &req, NULL, LSM_APPARMOR, &err) == 0 &&
                   strcmp(p->apparmor_profile, "docker-default") == 0,
               "exec --apparmor with AppArmor sets the profile");
    oci_process_free(p);
}

int main(void)
{
    test_check_label();
    test_validate();
    test_mount_data();
    test_exec_labels();
    return unit_finish();
}
