// Umbrella header of verifull's C++ API.
#pragma once

#include "verifull/errors.hpp"
#include "verifull/policy.hpp"
#include "verifull/report.hpp"
#include "verifull/trust.hpp"
#include "verifull/verify.hpp"
#include "verifull/version.h"
