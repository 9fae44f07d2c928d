#pragma once
// Options of `gatehouse bench` (the RADIUS load generator).
