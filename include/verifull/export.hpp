// The library is built with hidden visibility; this marks the public C++ API.
#pragma once

#define VERIFULL_API __attribute__((visibility("default")))
