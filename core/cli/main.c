/* simcon: entry point and subcommand dispatch (see commands.h). */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "err.h"
#include "guard.h"
#include "init.h"
#include "mem.h"
#include "simcon/plugin.h"

typedef struct command {
    const char *name;
    sc_command_fn fn;
    const char *summary;
} command;

static const command commands[] = {
    {"check", sc_cmd_check, "validate an experiment spec and its inputs"},
    {"compare", sc_cmd_compare, "similarity of two representations (.npy)"},
    {"mantel", sc_cmd_mantel, "Mantel permutation test of two similarity CSVs"},
    {"matrix", sc_cmd_matrix,
     "all-pairs similarity matrix of m representations (CSV)"},
    {"plot", sc_cmd_plot, "figures and report.html of a result folder"},
    {"plugins", sc_cmd_plugins, "list metric plugins and their parameters"},
    {"run", sc_cmd_run,
     "run an experiment spec: analyses, p-values, CIs, tables"},
    {"slurm", sc_cmd_slurm,
     "run an experiment spec as Slurm job arrays (sbatch scripts)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: simcon <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out,
            "\n'simcon <command> --help' describes one command: what it "
            "writes, its defaults\nand what its paths are relative to. "
            "Options meaning the same thing have the same\nname everywhere: "
            "--threads, --memory, --normalize, --plugin-dir, --quiet.\n"
            "'simcon -V' (--version) prints the version.\n");
}

int main(int argc, char **argv)
{
    sc_init();
    if (argc < 2) {
        usage(stderr);
        return SC_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return SC_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("simcon %s (plugin ABI %d, host API %d)\n", SC_VERSION,
               SC_ABI_VERSION, SC_HOST_API_REV);
        return SC_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) {
            /* From here until the command returns, exit() is a plugin's
             * doing and a crash names the plugin call (core/host/guard.h). */
            sc_guard_install();
            int rc = commands[i].fn(argc - 1, argv + 1);
            sc_guard_disarm();
            sc_mem_check_huge_leaks();
            return rc;
        }
    char shown[SC_ERR_MSG]; /* argv[1] with control characters escaped */
    sc_escape_ctl(shown, sizeof shown, argv[1]);
    fprintf(stderr, "simcon: unknown command '%s'; run 'simcon --help'\n",
            shown);
    return SC_EXIT_USAGE;
}
