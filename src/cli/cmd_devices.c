/* `clkfac devices`: every OpenCL device with the facts that matter for choosing one and its
 * device profile (clkfac's decisions for it), the default marked; `--build` also builds every kernel program and reports the time taken
 * (cold: compiled; warm: loaded from the binary cache). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

typedef struct devices_cli {
    int build;
    const char *device;
} devices_cli;

static const clkfac_option OPTIONS[] = {
    CLI_OPTION(BOOL, devices_cli, build, "--build", NULL, 0, 1, 0,
               "build every kernel program on the selected device and report the time (cold = "
               "compiled, warm = from the cache in ~/.cache/clkfac)"),
    CLI_OPTION(STRING, devices_cli, device, "--device", "SPEC", 0, 0, 0,
               "P:D, cpu, gpu or part of a name (default $CLKFAC_DEVICE, else the first GPU, else "
               "the first device)"),
};

int cmd_devices(int argc, char **argv)
{
    devices_cli o = {0, NULL};
    cli_table t = {OPTIONS, sizeof OPTIONS / sizeof OPTIONS[0], &o, NULL};
    int r = cli_parse("devices", argc, argv, &t, 1);
    if (r < 0) {
        printf("usage: clkfac devices [options]\n"
               "  lists platforms and devices; '*' marks the default (first GPU, else first\n"
               "  device).\n");
        cli_print_options(OPTIONS, sizeof OPTIONS / sizeof OPTIONS[0], CLKFAC_OPTION_FOR_ALL);
        return CLI_OK;
    }
    if (r) return r;
    const int build = o.build;
    const char *device = o.device;
    clkfac_device_info *list = NULL;
    size_t n = 0;
    clkfac_status st = clkfac_device_list(&list, &n);
    if (st) return cli_fail("listing OpenCL devices", st);
    for (size_t i = 0; i < n; i++) {
        const clkfac_device_info *d = &list[i];
        printf("%c %d:%d  %s\n", d->is_default ? '*' : ' ', d->platform_index, d->device_index,
               d->name);
        printf("      platform %s; type %s; %u compute units\n", d->platform, d->type,
               d->compute_units);
        printf("      global memory %.1f GiB (largest buffer %.1f GiB); local memory %.0f KiB\n",
               (double)d->global_mem / (1 << 30), (double)d->max_alloc / (1 << 30),
               (double)d->local_mem / 1024.0);
        printf("      %s; %s; driver %s\n", d->device_version, d->opencl_c_version,
               d->driver_version);
        /* the device profile: what clkfac decides for this device (no kernel is built) */
        char spec[32], prof[2048];
        snprintf(spec, sizeof spec, "%d:%d", d->platform_index, d->device_index);
        clkfac_context_options co = CLKFAC_CONTEXT_OPTIONS_INIT;
        co.device = spec;
        co.profiling = 0;
        clkfac_context *pc = NULL;
        if ((st = clkfac_context_create(&pc, &co)) == CLKFAC_OK)
            printf("      profile: %s\n",
                   clkfac_device_profile_text(prof, sizeof prof, clkfac_context_profile(pc)));
        else
            printf("      profile: none (%s)\n", clkfac_last_error());
        clkfac_context_free(pc);
    }
    free(list);
    if (!build) return CLI_OK;
    int rc = CLI_RUNTIME;
    clkfac_context *ctx = cli_context(device, &rc);
    if (!ctx) return rc;
    double secs = 0;
    st = clkfac_context_build_all(ctx, &secs);
    if (st) {
        clkfac_context_free(ctx);
        return cli_fail("building kernels", st);
    }
    printf("built every kernel program on '%s' in %.3f s\n", clkfac_context_device(ctx)->name,
           secs);
    clkfac_context_free(ctx);
    return CLI_OK;
}
