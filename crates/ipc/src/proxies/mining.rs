//! `Mining` and `BlockTemplate` proxies (`mining.capnp`).

use crate::client_call::RemoteCap;
use crate::connection::Connection;
use crate::convert;
use crate::generated::common_capnp::block_ref;
use crate::generated::mining_capnp::{block_template, coinbase_tx, mining};
use crate::proxies::ImplSlot;
use crate::{client_method, server_method};
use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, Txid, Wtxid};
use interfaces::mining::{
    BlockCheck, BlockCheckOptions, BlockCreateOptions, BlockRef, BlockTemplate, BlockWaitOptions,
    CoinbaseTx, Mining,
};
use std::rc::Rc;
use std::sync::Arc;

fn set_block_ref(mut b: block_ref::Builder<'_>, r: &BlockRef) {
    b.set_hash(r.hash.as_byte_array());
    b.set_height(r.height);
}

fn read_block_ref(r: block_ref::Reader<'_>) -> capnp::Result<BlockRef> {
    Ok(BlockRef {
        hash: BlockHash::from_byte_array(convert::hash32(r.get_hash())?),
        height: r.get_height(),
    })
}

fn set_txs(b: capnp::data_list::Builder<'_>, txs: &[Option<bitcoin::Transaction>]) {
    // An empty entry means "not found", as in Core.
    let items: Vec<Vec<u8>> = txs
        .iter()
        .map(|t| t.as_ref().map(convert::encode).unwrap_or_default())
        .collect();
    convert::set_data_list(b, &items);
}

fn read_txs(list: Vec<Vec<u8>>) -> capnp::Result<Vec<Option<bitcoin::Transaction>>> {
    list.into_iter()
        .map(|d| {
            if d.is_empty() {
                Ok(None)
            } else {
                convert::decode(Ok(&d[..])).map(Some)
            }
        })
        .collect()
}

fn hashes<T: Hash<Bytes = [u8; 32]>>(list: Vec<Vec<u8>>) -> capnp::Result<Vec<T>> {
    list.iter()
        .map(|d| convert::hash32(Ok(&d[..])).map(T::from_byte_array))
        .collect()
}

/// Serves a [`Mining`] implementation to a peer.
pub struct MiningServer {
    conn: Rc<Connection>,
    target: ImplSlot<dyn Mining>,
}

impl MiningServer {
    /// A capability serving `imp` on `conn`.
    pub fn client(conn: Rc<Connection>, imp: Arc<dyn Mining>) -> mining::Client {
        capnp_rpc::new_client(MiningServer {
            conn,
            target: ImplSlot::new(imp),
        })
    }
}

impl mining::Server for MiningServer {
    server_method!(worker is_test_chain(mining::IsTestChainParams, mining::IsTestChainResults) "Mining.isTestChain",
        |p, _conn| { }
        |imp| imp.is_test_chain(),
        |r, out, _conn| r.set_result(out));
    server_method!(worker is_initial_block_download(mining::IsInitialBlockDownloadParams, mining::IsInitialBlockDownloadResults) "Mining.isInitialBlockDownload",
        |p, _conn| { }
        |imp| imp.is_initial_block_download(),
        |r, out, _conn| r.set_result(out));
    server_method!(worker get_tip(mining::GetTipParams, mining::GetTipResults) "Mining.getTip",
    |p, _conn| { }
    |imp| imp.get_tip(),
    |r, out, _conn| if let Some(tip) = out {
        set_block_ref(r.reborrow().init_result(), &tip);
        r.set_has_result(true);
    });
    server_method!(worker wait_tip_changed(mining::WaitTipChangedParams, mining::WaitTipChangedResults) "Mining.waitTipChanged",
    |p, _conn| {
        let tip = BlockHash::from_byte_array(convert::hash32(p.get_current_tip())?);
        let timeout = convert::millis(p.get_timeout())?;
    }
    |imp| imp.wait_tip_changed(tip, timeout),
    |r, out, _conn| if let Some(tip) = out {
        set_block_ref(r.reborrow().init_result(), &tip);
    });
    server_method!(worker create_new_block(mining::CreateNewBlockParams, mining::CreateNewBlockResults) "Mining.createNewBlock",
    |p, _conn| {
        let o = p.get_options()?;
        let options = BlockCreateOptions {
            use_mempool: o.get_use_mempool(),
            block_reserved_weight: o.get_block_reserved_weight(),
            coinbase_output_max_additional_sigops: o.get_coinbase_output_max_additional_sigops(),
        };
        let cooldown = p.get_cooldown();
    }
    |imp| imp.create_new_block(&options, cooldown),
    |r, out, conn| if let Some(t) = out {
        r.set_result(BlockTemplateServer::client(conn.clone(), Arc::from(t)));
    });
    server_method!(worker check_block(mining::CheckBlockParams, mining::CheckBlockResults) "Mining.checkBlock",
    |p, _conn| {
        let block: bitcoin::Block = convert::decode(p.get_block())?;
        let o = p.get_options()?;
        let options = BlockCheckOptions {
            check_merkle_root: o.get_check_merkle_root(),
            check_pow: o.get_check_pow(),
        };
    }
    |imp| imp.check_block(&block, &options),
    |r, out, _conn| {
        r.set_reason(&out.reason);
        r.set_debug(&out.debug);
        r.set_result(out.valid);
    });
    server_method!(inline interrupt(mining::InterruptParams, mining::InterruptResults) "Mining.interrupt",
        |imp| imp.interrupt());
    server_method!(worker submit_block(mining::SubmitBlockParams, mining::SubmitBlockResults) "Mining.submitBlock",
    |p, _conn| { let block: bitcoin::Block = convert::decode(p.get_block())?; }
    |imp| imp.submit_block(&block),
    |r, out, _conn| {
        r.set_reason(&out.reason);
        r.set_debug(&out.debug);
        r.set_result(out.valid);
    });
    server_method!(worker get_transactions_by_tx_i_d(mining::GetTransactionsByTxIDParams, mining::GetTransactionsByTxIDResults) "Mining.getTransactionsByTxID",
        |p, _conn| { let ids: Vec<Txid> = hashes(convert::data_list(p.get_txids())?)?; }
        |imp| imp.get_transactions_by_txid(&ids),
        |r, out, _conn| set_txs(r.init_result(out.len() as u32), &out));
    server_method!(worker get_transactions_by_witness_i_d(mining::GetTransactionsByWitnessIDParams, mining::GetTransactionsByWitnessIDResults) "Mining.getTransactionsByWitnessID",
        |p, _conn| { let ids: Vec<Wtxid> = hashes(convert::data_list(p.get_wtxids())?)?; }
        |imp| imp.get_transactions_by_witness_id(&ids),
        |r, out, _conn| set_txs(r.init_result(out.len() as u32), &out));
}

/// Serves a [`BlockTemplate`] to a peer.
pub struct BlockTemplateServer {
    conn: Rc<Connection>,
    target: ImplSlot<dyn BlockTemplate>,
}

impl BlockTemplateServer {
    /// A capability serving `imp` on `conn`.
    pub fn client(conn: Rc<Connection>, imp: Arc<dyn BlockTemplate>) -> block_template::Client {
        capnp_rpc::new_client(BlockTemplateServer {
            conn,
            target: ImplSlot::new(imp),
        })
    }
}

fn set_coinbase(mut b: coinbase_tx::Builder<'_>, c: &CoinbaseTx) {
    b.set_version(c.version);
    b.set_sequence(c.sequence);
    b.set_script_sig_prefix(&c.script_sig_prefix);
    if let Some(w) = &c.witness {
        b.set_witness(w);
    }
    b.set_block_reward_remaining(c.block_reward_remaining);
    convert::set_data_list(
        b.reborrow()
            .init_required_outputs(c.required_outputs.len() as u32),
        &c.required_outputs,
    );
    b.set_lock_time(c.lock_time);
}

fn read_coinbase(r: coinbase_tx::Reader<'_>) -> capnp::Result<CoinbaseTx> {
    Ok(CoinbaseTx {
        version: r.get_version(),
        sequence: r.get_sequence(),
        script_sig_prefix: convert::data(r.get_script_sig_prefix())?,
        witness: if r.has_witness() {
            Some(convert::data(r.get_witness())?)
        } else {
            None
        },
        block_reward_remaining: r.get_block_reward_remaining(),
        required_outputs: convert::data_list(r.get_required_outputs())?,
        lock_time: r.get_lock_time(),
    })
}

impl block_template::Server for BlockTemplateServer {
    server_method!(destroy destroy(block_template::DestroyParams, block_template::DestroyResults) "BlockTemplate.destroy");
    server_method!(worker get_block_header(block_template::GetBlockHeaderParams, block_template::GetBlockHeaderResults) "BlockTemplate.getBlockHeader",
        |p, _conn| { }
        |imp| imp.get_block_header(),
        |r, out, _conn| r.set_result(&convert::encode(&out)));
    server_method!(worker get_block(block_template::GetBlockParams, block_template::GetBlockResults) "BlockTemplate.getBlock",
        |p, _conn| { }
        |imp| imp.get_block(),
        |r, out, _conn| r.set_result(&convert::encode(&out)));
    server_method!(worker get_tx_fees(block_template::GetTxFeesParams, block_template::GetTxFeesResults) "BlockTemplate.getTxFees",
    |p, _conn| { }
    |imp| imp.get_tx_fees(),
    |r, out, _conn| {
        let mut l = r.init_result(out.len() as u32);
        for (i, v) in out.iter().enumerate() { l.set(i as u32, *v); }
    });
    server_method!(worker get_tx_sigops(block_template::GetTxSigopsParams, block_template::GetTxSigopsResults) "BlockTemplate.getTxSigops",
    |p, _conn| { }
    |imp| imp.get_tx_sigops(),
    |r, out, _conn| {
        let mut l = r.init_result(out.len() as u32);
        for (i, v) in out.iter().enumerate() { l.set(i as u32, *v); }
    });
    server_method!(worker get_coinbase_tx(block_template::GetCoinbaseTxParams, block_template::GetCoinbaseTxResults) "BlockTemplate.getCoinbaseTx",
        |p, _conn| { }
        |imp| imp.get_coinbase_tx(),
        |r, out, _conn| set_coinbase(r.init_result(), &out));
    server_method!(worker get_coinbase_merkle_path(block_template::GetCoinbaseMerklePathParams, block_template::GetCoinbaseMerklePathResults) "BlockTemplate.getCoinbaseMerklePath",
    |p, _conn| { }
    |imp| imp.get_coinbase_merkle_path(),
    |r, out, _conn| {
        let items: Vec<Vec<u8>> = out.iter().map(|h| h.to_vec()).collect();
        convert::set_data_list(r.init_result(items.len() as u32), &items);
    });
    server_method!(worker submit_solution(block_template::SubmitSolutionParams, block_template::SubmitSolutionResults) "BlockTemplate.submitSolution",
        |p, _conn| {
            let (version, timestamp, nonce) = (p.get_version(), p.get_timestamp(), p.get_nonce());
            let coinbase = convert::tx_nullable(p.get_coinbase())?;
        }
        // A null coinbase cannot make a block: rejected, not an error (as Core).
        |imp| match coinbase {
            Some(cb) => imp.submit_solution(version, timestamp, nonce, cb),
            None => Ok(false),
        },
        |r, out, _conn| r.set_result(out));
    server_method!(worker wait_next(block_template::WaitNextParams, block_template::WaitNextResults) "BlockTemplate.waitNext",
    |p, _conn| {
        let o = p.get_options()?;
        let options = BlockWaitOptions {
            timeout: convert::millis(o.get_timeout())?,
            fee_threshold: o.get_fee_threshold(),
        };
    }
    |imp| imp.wait_next(&options),
    |r, out, conn| if let Some(t) = out {
        r.set_result(BlockTemplateServer::client(conn.clone(), Arc::from(t)));
    });
    server_method!(inline interrupt_wait(block_template::InterruptWaitParams, block_template::InterruptWaitResults) "BlockTemplate.interruptWait",
        |imp| imp.interrupt_wait());
}

/// A [`Mining`] in another process.
pub struct MiningClient {
    cap: RemoteCap,
}

impl MiningClient {
    /// Wraps a remote capability.
    pub fn new(cap: RemoteCap) -> Self {
        MiningClient { cap }
    }
}

fn check_result(
    reason: capnp::Result<capnp::text::Reader<'_>>,
    debug: capnp::Result<capnp::text::Reader<'_>>,
    valid: bool,
) -> capnp::Result<BlockCheck> {
    Ok(BlockCheck {
        valid,
        reason: convert::text(reason)?,
        debug: convert::text(debug)?,
    })
}

impl Mining for MiningClient {
    fn is_test_chain(&self) -> interfaces::Result<bool> {
        client_method!(
            self.cap,
            mining::Client,
            "Mining.isTestChain",
            is_test_chain_request,
            |p| {},
            |r, _conn| Ok(r.get_result())
        )
    }

    fn is_initial_block_download(&self) -> interfaces::Result<bool> {
        client_method!(
            self.cap,
            mining::Client,
            "Mining.isInitialBlockDownload",
            is_initial_block_download_request,
            |p| {},
            |r, _conn| Ok(r.get_result())
        )
    }

    fn get_tip(&self) -> interfaces::Result<Option<BlockRef>> {
        client_method!(
            self.cap,
            mining::Client,
            "Mining.getTip",
            get_tip_request,
            |p| {},
            |r, _conn| if r.get_has_result() {
                read_block_ref(r.get_result()?).map(Some)
            } else {
                Ok(None)
            }
        )
    }

    fn wait_tip_changed(
        &self,
        current_tip: BlockHash,
        timeout: Option<std::time::Duration>,
    ) -> interfaces::Result<Option<BlockRef>> {
        client_method!(
            self.cap,
            mining::Client,
            "Mining.waitTipChanged",
            wait_tip_changed_request,
            |p| {
                p.set_current_tip(current_tip.as_byte_array());
                p.set_timeout(convert::to_millis(timeout));
            },
            |r, _conn| if r.has_result() {
                read_block_ref(r.get_result()?).map(Some)
            } else {
                Ok(None)
            }
        )
    }

    fn create_new_block(
        &self,
        options: &BlockCreateOptions,
        cooldown: bool,
    ) -> interfaces::Result<Option<Box<dyn BlockTemplate>>> {
        let options = options.clone();
        client_method!(
            self.cap,
            mining::Client,
            "Mining.createNewBlock",
            create_new_block_request,
            |p| {
                let mut o = p.reborrow().init_options();
                o.set_use_mempool(options.use_mempool);
                o.set_block_reserved_weight(options.block_reserved_weight);
                o.set_coinbase_output_max_additional_sigops(
                    options.coinbase_output_max_additional_sigops,
                );
                p.set_cooldown(cooldown);
            },
            |r, conn| Ok(if r.has_result() {
                Some(Box::new(BlockTemplateClient::new(RemoteCap::on_loop(
                    conn,
                    r.get_result()?.client,
                ))) as Box<dyn BlockTemplate>)
            } else {
                None
            })
        )
    }

    fn check_block(
        &self,
        block: &bitcoin::Block,
        options: &BlockCheckOptions,
    ) -> interfaces::Result<BlockCheck> {
        let (block, options) = (convert::encode(block), options.clone());
        client_method!(
            self.cap,
            mining::Client,
            "Mining.checkBlock",
            check_block_request,
            |p| {
                p.set_block(&block);
                let mut o = p.reborrow().init_options();
                o.set_check_merkle_root(options.check_merkle_root);
                o.set_check_pow(options.check_pow);
            },
            |r, _conn| check_result(r.get_reason(), r.get_debug(), r.get_result())
        )
    }

    fn interrupt(&self) -> interfaces::Result<()> {
        self.cap
            .call("Mining.interrupt", move |client, _thread, _conn| {
                Box::pin(async move {
                    let client: mining::Client =
                        capnp::capability::FromClientHook::new(client.hook);
                    client.interrupt_request().send().promise.await?;
                    Ok(())
                })
            })
    }

    fn submit_block(&self, block: &bitcoin::Block) -> interfaces::Result<BlockCheck> {
        let block = convert::encode(block);
        client_method!(
            self.cap,
            mining::Client,
            "Mining.submitBlock",
            submit_block_request,
            |p| {
                p.set_block(&block);
            },
            |r, _conn| check_result(r.get_reason(), r.get_debug(), r.get_result())
        )
    }

    fn get_transactions_by_txid(
        &self,
        txids: &[Txid],
    ) -> interfaces::Result<Vec<Option<bitcoin::Transaction>>> {
        let ids: Vec<Vec<u8>> = txids.iter().map(|t| t.as_byte_array().to_vec()).collect();
        client_method!(
            self.cap,
            mining::Client,
            "Mining.getTransactionsByTxID",
            get_transactions_by_tx_i_d_request,
            |p| {
                convert::set_data_list(p.reborrow().init_txids(ids.len() as u32), &ids);
            },
            |r, _conn| read_txs(convert::data_list(r.get_result())?)
        )
    }

    fn get_transactions_by_witness_id(
        &self,
        wtxids: &[Wtxid],
    ) -> interfaces::Result<Vec<Option<bitcoin::Transaction>>> {
        let ids: Vec<Vec<u8>> = wtxids.iter().map(|t| t.as_byte_array().to_vec()).collect();
        client_method!(
            self.cap,
            mining::Client,
            "Mining.getTransactionsByWitnessID",
            get_transactions_by_witness_i_d_request,
            |p| {
                convert::set_data_list(p.reborrow().init_wtxids(ids.len() as u32), &ids);
            },
            |r, _conn| read_txs(convert::data_list(r.get_result())?)
        )
    }
}

/// A [`BlockTemplate`] in another process.
pub struct BlockTemplateClient {
    cap: RemoteCap,
}

impl BlockTemplateClient {
    /// Wraps a remote capability.
    pub fn new(cap: RemoteCap) -> Self {
        BlockTemplateClient { cap }
    }
}

fn i64s(r: capnp::Result<capnp::primitive_list::Reader<'_, i64>>) -> capnp::Result<Vec<i64>> {
    convert::i64_list(r)
}

impl BlockTemplate for BlockTemplateClient {
    fn get_block_header(&self) -> interfaces::Result<bitcoin::block::Header> {
        client_method!(
            self.cap,
            block_template::Client,
            "BlockTemplate.getBlockHeader",
            get_block_header_request,
            |p| {},
            |r, _conn| convert::decode(r.get_result())
        )
    }

    fn get_block(&self) -> interfaces::Result<bitcoin::Block> {
        client_method!(
            self.cap,
            block_template::Client,
            "BlockTemplate.getBlock",
            get_block_request,
            |p| {},
            |r, _conn| convert::decode(r.get_result())
        )
    }

    fn get_tx_fees(&self) -> interfaces::Result<Vec<i64>> {
        client_method!(
            self.cap,
            block_template::Client,
            "BlockTemplate.getTxFees",
            get_tx_fees_request,
            |p| {},
            |r, _conn| i64s(r.get_result())
        )
    }

    fn get_tx_sigops(&self) -> interfaces::Result<Vec<i64>> {
        client_method!(
            self.cap,
            block_template::Client,
            "BlockTemplate.getTxSigops",
            get_tx_sigops_request,
            |p| {},
            |r, _conn| i64s(r.get_result())
        )
    }

    fn get_coinbase_tx(&self) -> interfaces::Result<CoinbaseTx> {
        client_method!(
            self.cap,
            block_template::Client,
            "BlockTemplate.getCoinbaseTx",
            get_coinbase_tx_request,
            |p| {},
            |r, _conn| read_coinbase(r.get_result()?)
        )
    }

    fn get_coinbase_merkle_path(&self) -> interfaces::Result<Vec<[u8; 32]>> {
        client_method!(
            self.cap,
            block_template::Client,
            "BlockTemplate.getCoinbaseMerklePath",
            get_coinbase_merkle_path_request,
            |p| {},
            |r, _conn| convert::data_list(r.get_result())?
                .iter()
                .map(|d| convert::hash32(Ok(&d[..])))
                .collect()
        )
    }

    fn submit_solution(
        &self,
        version: u32,
        timestamp: u32,
        nonce: u32,
        coinbase: bitcoin::Transaction,
    ) -> interfaces::Result<bool> {
        let coinbase = convert::encode_tx(&coinbase);
        client_method!(
            self.cap,
            block_template::Client,
            "BlockTemplate.submitSolution",
            submit_solution_request,
            |p| {
                p.set_version(version);
                p.set_timestamp(timestamp);
                p.set_nonce(nonce);
                p.set_coinbase(&coinbase);
            },
            |r, _conn| Ok(r.get_result())
        )
    }

    fn wait_next(
        &self,
        options: &BlockWaitOptions,
    ) -> interfaces::Result<Option<Box<dyn BlockTemplate>>> {
        let options = options.clone();
        client_method!(
            self.cap,
            block_template::Client,
            "BlockTemplate.waitNext",
            wait_next_request,
            |p| {
                let mut o = p.reborrow().init_options();
                o.set_timeout(convert::to_millis(options.timeout));
                o.set_fee_threshold(options.fee_threshold);
            },
            |r, conn| Ok(if r.has_result() {
                Some(Box::new(BlockTemplateClient::new(RemoteCap::on_loop(
                    conn,
                    r.get_result()?.client,
                ))) as Box<dyn BlockTemplate>)
            } else {
                None
            })
        )
    }

    fn interrupt_wait(&self) -> interfaces::Result<()> {
        self.cap.call(
            "BlockTemplate.interruptWait",
            move |client, _thread, _conn| {
                Box::pin(async move {
                    let client: block_template::Client =
                        capnp::capability::FromClientHook::new(client.hook);
                    client.interrupt_wait_request().send().promise.await?;
                    Ok(())
                })
            },
        )
    }
}
