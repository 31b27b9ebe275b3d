/* Micro-benchmark of the triangle mirror in core/num/blas.c (issue 6).
 *
 * sc_blas_syrk / sc_blas_ssyrk with k = 1 at n = 5000: the SYRK itself is
 * cheap, so the wrapper time minus the raw cblas_?syrk time is the cost of
 * mirroring the upper triangle into the lower one. Best of 5 runs each;
 * also checks that the result is symmetric on a sparse grid. Not part of
 * the test suite. Build (from the repository root, after building BUILD):
 *   cc -O2 -Icore -Iinclude -I/usr/include/x86_64-linux-gnu/openblas-pthread \
 *      tests/bench/mirror_probe.c BUILD/libsimcon.a -lopenblas -lgsl -lm
 * and run with OPENBLAS_NUM_THREADS=1. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "blas.h"
#include <cblas.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+1e-9*t.tv_nsec;}
int main(void){
  size_t n=5000,k=1; sc_err err;
  double *a=malloc(n*k*sizeof*a),*c=calloc(n*n,sizeof*c);
  float *af=malloc(n*k*sizeof*af),*cf=calloc(n*n,sizeof*cf);
  for(size_t i=0;i<n*k;i++){a[i]=(double)(i%7)+0.5;af[i]=(float)a[i];}
  sc_blas_syrk(0,n,k,1.0,a,k,0.0,c,n,&err);
  sc_blas_ssyrk(0,n,k,1.0f,af,k,0.0f,cf,n,&err);
  double best=1e9,bestf=1e9;
  for(int r=0;r<5;r++){double t=now();sc_blas_syrk(0,n,k,1.0,a,k,0.0,c,n,&err);t=now()-t;if(t<best)best=t;
   t=now();sc_blas_ssyrk(0,n,k,1.0f,af,k,0.0f,cf,n,&err);t=now()-t;if(t<bestf)bestf=t;}
  double raw=1e9; for(int r=0;r<5;r++){double t=now();cblas_dsyrk(CblasRowMajor,CblasUpper,CblasNoTrans,(int)n,(int)k,1.0,a,(int)k,0.0,c,(int)n);t=now()-t;if(t<raw)raw=t;}
  double rawf=1e9; for(int r=0;r<5;r++){double t=now();cblas_ssyrk(CblasRowMajor,CblasUpper,CblasNoTrans,(int)n,(int)k,1.0f,af,(int)k,0.0f,cf,(int)n);t=now()-t;if(t<rawf)rawf=t;}
  printf("mirror alone (wrapper - raw cblas): double %.1f ms, float %.1f ms\n",(best-raw)*1e3,(bestf-rawf)*1e3);
  sc_blas_syrk(0,n,k,1.0,a,k,0.0,c,n,&err); sc_blas_ssyrk(0,n,k,1.0f,af,k,0.0f,cf,n,&err);
  /* check symmetry */
  int bad=0; for(size_t i=0;i<n;i+=37)for(size_t j=0;j<n;j+=41) if(c[i*n+j]!=c[j*n+i]||cf[i*n+j]!=cf[j*n+i]) bad++;
  printf("n=%zu k=%zu dsyrk+mirror best %.1f ms, ssyrk+mirror best %.1f ms, asym=%d\n",n,k,best*1e3,bestf*1e3,bad);
  return 0;}
