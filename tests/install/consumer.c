/* A program outside the project that uses the installed library (tests/install/check.sh). */
#include <clkfac/clkfac.h>
#include <stdio.h>

int main(void)
{
    printf("linked clkfac %s (git %s): %s\n", clkfac_version(), clkfac_git_commit(),
           clkfac_status_str(CLKFAC_ERR_NOT_SPD));
    return 0;
}
