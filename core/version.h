/* version.h - what berthd says it is. */
#ifndef BERTH_CORE_VERSION_H
#define BERTH_CORE_VERSION_H

#ifndef BERTH_VERSION
#define BERTH_VERSION		"0.1.0"
#endif
#define BERTH_API_VERSION	"1.41"
#define BERTH_API_VERSION_NUM	141
#define BERTH_API_MIN_VERSION	"1.24"
#define BERTH_API_MIN_NUM	124
#define BERTH_SERVER_HEADER	"berth/" BERTH_VERSION " (linux)"

#endif
