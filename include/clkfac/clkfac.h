/* clkfac/clkfac.h — umbrella header: everything public in one include. */
#ifndef CLKFAC_H
#define CLKFAC_H

#include "clkfac/common.h"
#include "clkfac/device.h"
#include "clkfac/env.h"
#include "clkfac/frames.h"
#include "clkfac/kfac.h"
#include "clkfac/linalg.h"
#include "clkfac/report.h"
#include "clkfac/rl.h"
#include "clkfac/npy.h"
#include "clkfac/nn.h"
#include "clkfac/heads.h"
#include "clkfac/optim.h"
#include "clkfac/agent.h"
#include "clkfac/stats.h"
#include "clkfac/plot.h"
#include "clkfac/comm.h"
#include "clkfac/tune.h"

#endif
