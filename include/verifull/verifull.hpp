// Umbrella header of verifull's C++ API.
#pragma once

#include "verifull/audit.hpp"
#include "verifull/endpoint.hpp"
#include "verifull/errors.hpp"
#include "verifull/mysql.hpp"
#include "verifull/policy.hpp"
#include "verifull/postgres.hpp"
#include "verifull/probe.hpp"
#include "verifull/report.hpp"
#include "verifull/trust.hpp"
#include "verifull/verify.hpp"
#include "verifull/version.h"
